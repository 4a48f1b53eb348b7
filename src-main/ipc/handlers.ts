import { channelOf, type ApiMap, type ApiOf } from '../contract/define';
import { toResult, type Result } from '../contract/errors';
import { dispatch } from '../service/dispatch';
import { assertSender, type SenderLike, type SenderPolicy } from './sender';

/**
 * One IPC handler: what `ipcMain.handle` calls, minus Electron. Takes the event (or anything
 * with its `senderFrame`) and the raw argument array the preload sent; never throws.
 */
export type IpcHandler = (sender: SenderLike | null | undefined, rawArgs: unknown) => Promise<Result<unknown>>;

export type IpcHandlers<M extends ApiMap> = { [K in keyof M & string]: IpcHandler };

/**
 * A handler per method of a contract map: sender check, then service/dispatch (zod on the
 * argument tuple, then the implementation); every outcome becomes a Result so codes survive the process boundary.
 */
export function createIpcHandlers<M extends ApiMap>(map: M, impl: ApiOf<M>, policy: SenderPolicy): IpcHandlers<M> {
  const out = {} as IpcHandlers<M>;
  for (const name of Object.keys(map) as (keyof M & string)[]) {
    const channel = channelOf(name);
    if (typeof impl[name] !== 'function') throw new Error(`no implementation for ${name}`);
    out[name] = (sender, rawArgs) =>
      toResult(async () => {
        assertSender(sender, policy, channel);
        return dispatch(map, impl, name, rawArgs);
      });
  }
  return out;
}
