import type { IpcMainInvokeEvent } from 'electron';
import { channelOf, type ApiMap } from '../contract/define';
import type { IpcHandlers } from './handlers';

/** The part of Electron's ipcMain used here (injected: tests and main pass their own). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Registers each handler on its contract channel. The preload sends the argument tuple as ONE
 * value, so a caller cannot smuggle extra positional arguments. Returns the unregister function.
 */
export function registerIpcHandlers<M extends ApiMap>(ipcMain: IpcMainLike, handlers: IpcHandlers<M>): () => void {
  const channels: string[] = [];
  for (const [name, handler] of Object.entries(handlers) as [string, IpcHandlers<M>[keyof IpcHandlers<M>]][]) {
    const channel = channelOf(name);
    ipcMain.handle(channel, (event, ...rest) => handler(event, rest.length === 1 ? rest[0] : undefined));
    channels.push(channel);
  }
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
  };
}
