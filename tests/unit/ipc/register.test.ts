// A stand-in for Electron's ipcMain (the binary is not available here): a map of channel ->
// listener, called the way Electron calls `handle` listeners (event, ...args).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { channelOf, method } from '../../../src-main/contract/define';
import { EVENT_CHANNEL } from '../../../src-main/contract/bridge';
import { forwardEvents } from '../../../src-main/ipc/events';
import { createIpcHandlers } from '../../../src-main/ipc/handlers';
import { registerIpcHandlers, type IpcMainLike } from '../../../src-main/ipc/register';

type Listener = Parameters<IpcMainLike['handle']>[1];

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc: IpcMainLike = {
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler(channel) {
      handlers.delete(channel);
    },
  };
  return { ipc, handlers };
}

const map = {
  'demo.add': method(z.tuple([z.number(), z.number()]), z.number()),
  'demo.echo': method(z.tuple([z.string().max(5)]), z.string()),
};
const impl = { 'demo.add': async (a: number, b: number) => a + b, 'demo.echo': async (s: string) => s };
const event = { senderFrame: { url: 'studio-app://app/index.html', parent: null } } as unknown as Parameters<Listener>[0];

describe('registerIpcHandlers', () => {
  it('registers one channel per method, named by channelOf, and removes them all', async () => {
    const { ipc, handlers } = fakeIpcMain();
    const dispose = registerIpcHandlers(ipc, createIpcHandlers(map, impl, { origins: ['studio-app://app'] }));
    expect([...handlers.keys()].sort()).toEqual(['demo:add', 'demo:echo']);
    expect(channelOf('demo.add')).toBe('demo:add');
    expect(await handlers.get('demo:add')?.(event, [2, 3])).toEqual({ ok: true, value: 5 });
    dispose();
    expect(handlers.size).toBe(0);
  });

  it('takes the argument tuple as ONE value: spread positional arguments are refused', async () => {
    const { ipc, handlers } = fakeIpcMain();
    registerIpcHandlers(ipc, createIpcHandlers(map, impl, { origins: ['studio-app://app'] }));
    const add = handlers.get('demo:add');
    expect(await add?.(event, 2, 3)).toMatchObject({ ok: false, error: { code: 'E_INVALID_ARGUMENT' } });
    expect(await add?.(event)).toMatchObject({ ok: false, error: { code: 'E_INVALID_ARGUMENT' } });
    expect(await handlers.get('demo:echo')?.(event, ['too long'])).toMatchObject({ ok: false, error: { code: 'E_INVALID_ARGUMENT' } });
  });
});

describe('forwardEvents', () => {
  it('sends every event on the one event channel and skips a destroyed window', () => {
    const listeners = new Set<(e: string) => void>();
    const subscribe = (l: (e: string) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    };
    const sent: [string, unknown][] = [];
    let destroyed = false;
    const target = { isDestroyed: () => destroyed, send: (c: string, p: unknown) => sent.push([c, p]) };
    const stop = forwardEvents(subscribe, () => target);
    for (const l of listeners) l('one');
    destroyed = true;
    for (const l of listeners) l('two');
    stop();
    expect(listeners.size).toBe(0);
    expect(sent).toEqual([[EVENT_CHANNEL, 'one']]);
  });
});
