import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { studioApi } from '../contract/api';
import type { ApiMap } from '../contract/define';
import { StudioError } from '../contract/errors';
import { parseJson, readBody, requireMediaType } from './body';
import type { PathGuard } from './path-guard';
import { sendOk } from './respond';
import type { ServerCore } from './core';

// POST /api/call/<method>: generic over the contract map, so a method added to `studioApi` is
// served with no change here. Arguments are zod-parsed against the method's tuple.

const MAX_CALL_BYTES = 1024 * 1024;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `argument ${i.path.join('.')}` : 'arguments'}: ${i.message}`)
    .join('; ');
}

export function createCallRoute(core: ServerCore, guard: PathGuard) {
  const specs: ApiMap = studioApi;
  return async function handleCall(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!Object.prototype.hasOwnProperty.call(specs, method)) {
      throw new StudioError('E_NOT_FOUND', `unknown method '${method}'`, { method });
    }
    requireMediaType(req, (t) => t === 'application/json', 'application/json');
    const body = parseJson(await readBody(req, MAX_CALL_BYTES));
    const parsed = specs[method].args.safeParse(body === undefined ? [] : body);
    if (!parsed.success) {
      throw new StudioError('E_INVALID_ARGUMENT', `${method}: ${describeIssues(parsed.error)}`, { method });
    }
    const args = parsed.data as unknown[];
    guard.checkArgs(args, /paths?$/i.test(method.slice(method.indexOf('.') + 1)));
    const fn = (core.api as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>)[method];
    if (typeof fn !== 'function') throw new StudioError('E_INTERNAL', `'${method}' is not available in this build`, { method });
    sendOk(res, await fn.apply(core.api, args));
  };
}
