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

export interface CallRouteOptions {
  /** Where jobs go when the settings' outputs folder lies outside the server's folders. */
  fallbackOutputsDir: string;
  onWarning?: (message: string) => void;
}

export function createCallRoute(core: ServerCore, guard: PathGuard, opts: CallRouteOptions) {
  let warned = false;
  /**
   * A job that names no output folder goes to the settings' outputsDir; over HTTP that folder
   * must lie in the server's folders too (settings.json may have been set by the desktop app),
   * else the job goes to the data folder's outputs instead.
   */
  async function fillOutputDir(body: unknown): Promise<void> {
    const request = Array.isArray(body) ? (body[0] as Record<string, unknown> | undefined) : undefined;
    if (!request || typeof request !== 'object') return;
    const output = (request.output ?? {}) as Record<string, unknown>;
    if (typeof output !== 'object' || output.dir !== undefined) return;
    const { outputsDir } = await core.api['settings.get']();
    if (guard.isAllowed(outputsDir)) return;
    if (!warned) {
      warned = true;
      opts.onWarning?.(`settings: outputsDir '${outputsDir}' lies outside the folders this server may write to; jobs sent over HTTP without an output folder go to ${opts.fallbackOutputsDir}`);
    }
    request.output = { ...output, dir: opts.fallbackOutputsDir };
  }

  return async function handleCall(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    assertMethod(studioApi, method);
    requireMediaType(req, (t) => t === 'application/json', 'application/json');
    const body = parseJson(await readBody(req, MAX_CALL_BYTES));
    if (method === 'jobs.enqueue') await fillOutputDir(body);
    sendOk(res, await dispatch(studioApi, core.api, method, body === undefined ? [] : body, { check: (schema, args) => guard.checkCall(schema, args) }));
  };
}
