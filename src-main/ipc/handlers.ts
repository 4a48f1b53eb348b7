import type { z } from 'zod';
import { channelOf, type ApiMap, type ApiOf } from '../contract/define';
import { StudioError, toResult, type Result } from '../contract/errors';
import { assertSender, type SenderLike, type SenderPolicy } from './sender';

/**
 * One IPC handler: what `ipcMain.handle` calls, minus Electron. Takes the event (or anything
 * with its `senderFrame`) and the raw argument array the preload sent; never throws.
 */
export type IpcHandler = (sender: SenderLike | null | undefined, rawArgs: unknown) => Promise<Result<unknown>>;

export type IpcHandlers<M extends ApiMap> = { [K in keyof M & string]: IpcHandler };

/** zod issues as one line for people: `0.scale: Too big: expected number to be <=16`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/**
 * A handler per method of a contract map: sender check, then zod on the argument tuple, then
 * the implementation; every outcome becomes a Result so codes survive the process boundary.
 */
export function createIpcHandlers<M extends ApiMap>(map: M, impl: ApiOf<M>, policy: SenderPolicy): IpcHandlers<M> {
  const out = {} as IpcHandlers<M>;
  for (const name of Object.keys(map) as (keyof M & string)[]) {
    const spec = map[name];
    const channel = channelOf(name);
    const fn = impl[name] as (...args: unknown[]) => Promise<unknown>;
    if (typeof fn !== 'function') throw new Error(`no implementation for ${name}`);
    out[name] = (sender, rawArgs) =>
      toResult(async () => {
        assertSender(sender, policy, channel);
        const parsed = spec.args.safeParse(rawArgs);
        if (!parsed.success) {
          throw new StudioError('E_INVALID_ARGUMENT', `${name}: ${describeIssues(parsed.error)}`);
        }
        return fn.apply(impl, parsed.data as unknown[]);
      });
  }
  return out;
}
