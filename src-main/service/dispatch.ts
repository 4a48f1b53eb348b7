import type { z } from 'zod';
import type { ApiMap, ApiOf } from '../contract/define';
import { StudioError } from '../contract/errors';

// One dispatch for every front door that takes calls by name (IPC, HTTP): the method must be in
// the contract map, its arguments are zod-parsed against the method's tuple, and the parsed
// arguments (never the raw ones) reach the implementation.

/** zod issues as one line for people: `argument 0.scale: Too big: expected number to be <=16`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `argument ${i.path.join('.')}` : 'arguments'}: ${i.message}`)
    .join('; ');
}

export interface DispatchOptions {
  /** Sees the parsed arguments and their schema before the call (the HTTP path guard). */
  check?(argsSchema: z.ZodType, args: unknown[]): void;
}

/** E_NOT_FOUND unless `name` is a method of the map. */
export function assertMethod(map: ApiMap, name: string): void {
  if (!Object.prototype.hasOwnProperty.call(map, name)) throw new StudioError('E_NOT_FOUND', `unknown method '${name}'`, { method: name });
}

/** Parses the arguments of `name` (E_NOT_FOUND for an unknown method, E_INVALID_ARGUMENT for bad ones). */
export function parseCall<M extends ApiMap>(map: M, name: string, rawArgs: unknown): unknown[] {
  assertMethod(map, name);
  const parsed = map[name].args.safeParse(rawArgs);
  if (!parsed.success) throw new StudioError('E_INVALID_ARGUMENT', `${name}: ${describeIssues(parsed.error)}`, { method: name });
  return parsed.data as unknown[];
}

/** Calls `name` of `impl` with arguments checked against `map`. */
export async function dispatch<M extends ApiMap>(map: M, impl: ApiOf<M>, name: string, rawArgs: unknown, opts: DispatchOptions = {}): Promise<unknown> {
  const args = parseCall(map, name, rawArgs);
  opts.check?.(map[name].args, args);
  const fn = (impl as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>)[name];
  if (typeof fn !== 'function') throw new StudioError('E_INTERNAL', `'${name}' is not available in this build`, { method: name });
  return fn.apply(impl, args);
}
