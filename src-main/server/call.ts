import type { IncomingMessage, ServerResponse } from 'node:http';
import { studioApi } from '../contract/api';
import { assertMethod, dispatch } from '../service/dispatch';
import { parseJson, readBody, requireMediaType } from './body';
import type { ServerCore } from './core';
import type { PathGuard } from './path-guard';
import { sendOk } from './respond';

// POST /api/call/<method>: generic over the contract map (service/dispatch), so a method added to
// `studioApi` is served with no change here. Paths in the arguments must lie in the studio's folders.

const MAX_CALL_BYTES = 1024 * 1024;

export function createCallRoute(core: ServerCore, guard: PathGuard) {
  return async function handleCall(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    assertMethod(studioApi, method);
    requireMediaType(req, (t) => t === 'application/json', 'application/json');
    const body = parseJson(await readBody(req, MAX_CALL_BYTES));
    sendOk(res, await dispatch(studioApi, core.api, method, body === undefined ? [] : body, { check: (schema, args) => guard.checkCall(schema, args) }));
  };
}
