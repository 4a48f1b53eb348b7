// The renderer's StudioClient over the bridge, end to end in one process: createElectronClient
// -> the preload's createBridge -> the real IPC handlers -> the real StudioService. Only the
// transport is a stand-in (invoke = call the handler with a structured clone, as Electron does),
// because the Electron binary is not available here.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDesktopApi } from '../../../src-main/app/desktop-api';
import { studioApi } from '../../../src-main/contract/api';
import { EVENT_CHANNEL } from '../../../src-main/contract/bridge';
import { channelOf } from '../../../src-main/contract/define';
import { desktopApi, type DesktopEvent } from '../../../src-main/contract/desktop';
import { StudioError } from '../../../src-main/contract/errors';
import type { StudioEvent } from '../../../src-main/contract/events';
import { createIpcHandlers, type IpcHandler } from '../../../src-main/ipc/handlers';
import { createBridge } from '../../../src-main/preload/bridge';
import { createStudioService, type StudioService } from '../../../src-main/service';
import type { ImageItem, StudioApi } from '../../../src-main/contract/api';
import type { StudioBridge } from '../../../src-main/contract/bridge';
import type { Result } from '../../../src-main/contract/errors';

/**
 * The part of src-renderer/src/client/electron.ts exercised here. The renderer is its own
 * TypeScript project (its types are checked there), so the module is loaded by path.
 */
interface TestedClient {
  kind: string;
  call<M extends keyof StudioApi>(method: M, ...args: Parameters<StudioApi[M]>): ReturnType<StudioApi[M]>;
  subscribe(l: (e: StudioEvent) => void): () => void;
  onConnectionChange(l: (c: boolean) => void): () => void;
  importFiles(files: readonly File[]): Promise<Result<ImageItem>[]>;
  mediaUrl(kind: string, id: string, o?: { w?: number; i?: number }): string;
  desktop: { call(method: string, ...args: unknown[]): Promise<unknown>; onMenu(l: (c: string) => void): () => void };
}
const clientModule = path.resolve(__dirname, '../../../src-renderer/src/client/electron.ts');

let dir: string;
let svc: StudioService;
let client: TestedClient;
let push: (e: StudioEvent | DesktopEvent) => void;
const domEvents: string[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-client-'));
  await fs.mkdir(path.join(dir, 'data'));
  svc = await createStudioService({ dataDir: path.join(dir, 'data'), jobStore: 'memory', desktop: true, onWarning: () => undefined });
  const policy = { origins: ['studio-app://app'] };
  const recent: string[] = [];
  const handlers: Record<string, IpcHandler> = {
    ...createIpcHandlers(studioApi, svc, policy),
    ...createIpcHandlers(
      desktopApi,
      createDesktopApi({
        api: svc,
        dialogs: { openImages: async () => [], chooseFolder: async () => null, saveAs: async () => null },
        showItemInFolder: () => undefined,
        recent: { list: () => recent, add: (p) => recent.unshift(...p), clear: () => (recent.length = 0) },
        roots: () => [svc.paths.outputs],
        addBuffer: (n, b) => svc.library.addBuffer(n, b),
      }),
      policy,
    ),
  };
  const byChannel = new Map(Object.entries(handlers).map(([name, h]) => [channelOf(name), h]));
  const frame = { senderFrame: { url: 'studio-app://app/index.html', parent: null } };
  const listeners = new Set<(e: unknown, p: unknown) => void>();
  const bridge = createBridge(
    {
      invoke: async (channel, args) => structuredClone(await byChannel.get(channel)?.(frame, structuredClone(args))),
      on: (channel, l) => channel === EVENT_CHANNEL && listeners.add(l),
      removeListener: (_c, l) => listeners.delete(l),
      getPathForFile: (f) => (f as File & { path?: string }).path ?? '',
    },
    { studio: Object.keys(studioApi), desktop: Object.keys(desktopApi) },
  );
  push = (e) => {
    for (const l of listeners) l({ sender: 'main' }, structuredClone(e));
  };
  svc.events.subscribe(push);
  // The page's window, for the menu's DOM event.
  const win = new EventTarget();
  const mod = (await import(clientModule)) as { createElectronClient(b: StudioBridge): TestedClient; MENU_EVENT: string };
  win.addEventListener(mod.MENU_EVENT, (e) => domEvents.push((e as CustomEvent<string>).detail));
  (globalThis as { window?: unknown }).window = win;
  client = mod.createElectronClient(bridge);
});

afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await svc?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the Electron StudioClient', () => {
  it('calls contract methods and rebuilds coded errors as StudioErrors', async () => {
    expect(client.kind).toBe('electron');
    const info = await client.call('app.info');
    expect(info.desktop).toBe(true);
    const err = await client.call('jobs.get', 'no-such-job').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('E_NOT_FOUND');
    const bad = await client.call('settings.update', { defaultQuality: 0 }).catch((e: unknown) => e);
    expect((bad as StudioError).code).toBe('E_INVALID_ARGUMENT');
  });

  it('imports dropped files by path and pasted images by bytes, one result per file in order', async () => {
    const file = path.join(dir, 'dropped.png');
    await sharp({ create: { width: 12, height: 9, channels: 3, background: '#aa3300' } }).png().toFile(file);
    const dropped = Object.assign(new File([await fs.readFile(file)], 'dropped.png', { type: 'image/png' }), { path: file });
    const pastedBytes = await sharp({ create: { width: 5, height: 7, channels: 3, background: '#0033aa' } }).png().toBuffer();
    const pasted = new File([pastedBytes], 'clipboard.png', { type: 'image/png' });
    const junk = new File([new TextEncoder().encode('not an image at all')], 'junk.png', { type: 'image/png' });
    const results = await client.importFiles([dropped, pasted, junk]);
    expect(results[0]).toMatchObject({ ok: true, value: { path: file, width: 12, height: 9 } });
    expect(results[1]).toMatchObject({ ok: true, value: { width: 5, height: 7 } });
    expect(results[2].ok).toBe(false);
    if (!results[2].ok) expect(['E_UNSUPPORTED_FORMAT', 'E_CORRUPT_IMAGE']).toContain(results[2].error.code);
    // The pasted photo was stored by the studio, not left where it never was.
    if (results[1].ok) expect(results[1].value.path.startsWith(svc.paths.library)).toBe(true);
  });

  it('passes StudioEvents to subscribers and menu commands to onMenu and the DOM, not both', () => {
    const seen: StudioEvent[] = [];
    const menus: string[] = [];
    const off = client.subscribe((e) => seen.push(e));
    const offMenu = client.desktop.onMenu((c) => menus.push(c));
    push({ topic: 'watch', watchId: 'w1', message: 'hello' });
    push({ topic: 'menu', command: 'export' });
    off();
    offMenu();
    push({ topic: 'watch', watchId: 'w1', message: 'after unsubscribe' });
    expect(seen).toEqual([{ topic: 'watch', watchId: 'w1', message: 'hello' }]);
    expect(menus).toEqual(['export']);
    expect(domEvents).toEqual(['export']);
  });

  it('reports a connection that is always up, desktop calls, and studio-media URLs', async () => {
    const states: boolean[] = [];
    client.onConnectionChange((c) => states.push(c));
    expect(states).toEqual([true]);
    expect(await client.desktop.call('desktop.chooseFolder', {})).toBeNull();
    const err = await client.desktop.call('desktop.showInFolder', '/etc/hostname').catch((e: unknown) => e);
    expect((err as StudioError).code).toMatch(/^E_(PATH_NOT_ALLOWED|FILE_NOT_FOUND)$/);
    expect(client.mediaUrl('thumb', 'abc', { w: 200 })).toBe('studio-media://thumb/abc?w=200');
  });
});
