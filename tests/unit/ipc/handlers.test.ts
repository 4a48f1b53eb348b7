// The IPC handlers are called here as plain functions with a fake ipcMain event ({senderFrame}):
// the Electron binary is not available in this environment, and the handlers need nothing else
// from Electron. The implementation behind them is the real StudioService on a temp data dir.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studioApi, type StudioApi } from '../../../src-main/contract/api';
import type { ApiMap, ApiOf } from '../../../src-main/contract/define';
import { desktopApi } from '../../../src-main/contract/desktop';
import type { Result } from '../../../src-main/contract/errors';
import { createDesktopApi } from '../../../src-main/app/desktop-api';
import { createIpcHandlers, type IpcHandlers } from '../../../src-main/ipc/handlers';
import type { SenderLike } from '../../../src-main/ipc/sender';
import { createStudioService, type StudioService } from '../../../src-main/service';

const APP = 'studio-app://app';
const policy = { origins: [APP] };
const appFrame: SenderLike = { senderFrame: { url: `${APP}/index.html`, parent: null } };
const foreign: SenderLike[] = [
  { senderFrame: { url: 'https://evil.example/', parent: null } },
  { senderFrame: { url: 'file:///tmp/x.html', parent: null } },
  { senderFrame: { url: `${APP}/index.html`, parent: { url: `${APP}/index.html` } } },
  { senderFrame: null },
];

/** Records which implementation methods were reached, then runs the real one. */
function recording<M extends ApiMap>(map: M, impl: ApiOf<M>, calls: string[]): ApiOf<M> {
  const out: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(map)) {
    const fn = impl[name] as (...a: unknown[]) => Promise<unknown>;
    out[name] = (...a) => {
      calls.push(name);
      return fn.apply(impl, a);
    };
  }
  return out as ApiOf<M>;
}

/**
 * Malformed payloads for a method: never a tuple, a tuple one too long, and wrong types in the
 * first place. The last kind is kept only where the contract really rejects it (a method taking
 * `z.unknown()` validates inside its domain instead).
 */
function malformed(map: ApiMap, name: string): unknown[] {
  const arity = arityOf(map, name);
  const always = [undefined, null, 42, 'jobs', {}, { 0: 'x', length: 1 }, new Array(arity + 1).fill('x')];
  const maybe = arity ? [[10n], [{ __proto__: { evil: 1 } }], [Symbol.for('x')]] : [[1], [[]]];
  return [...always, ...maybe.filter((p) => !map[name].args.safeParse(p).success)];
}

function arityOf(map: ApiMap, name: string): number {
  return map[name].args.def.items.length;
}

let dir: string;
let svc: StudioService;
const calls: string[] = [];
let studio: IpcHandlers<typeof studioApi>;
let desktop: IpcHandlers<typeof desktopApi>;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-ipc-'));
  await fs.mkdir(path.join(dir, 'data')); // as Electron's userData folder always exists
  svc = await createStudioService({ dataDir: path.join(dir, 'data'), jobStore: 'memory', desktop: true, onWarning: () => undefined });
  studio = createIpcHandlers(studioApi, recording(studioApi, svc as StudioApi, calls), policy);
  const desktopImpl = createDesktopApi({
    api: svc,
    dialogs: {
      openImages: async () => [],
      chooseFolder: async () => null,
      saveAs: async () => null,
    },
    showItemInFolder: () => undefined,
    recent: { list: () => [], add: () => undefined, clear: () => undefined },
    roots: () => [svc.paths.outputs],
    addBuffer: (n, b) => svc.library.addBuffer(n, b),
  });
  desktop = createIpcHandlers(desktopApi, recording(desktopApi, desktopImpl, calls), policy);
});

afterAll(async () => {
  await svc?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe.each([
  ['studioApi', () => [studioApi, studio] as const],
  ['desktopApi', () => [desktopApi, desktop] as const],
])('IPC handlers of %s', (_name, get) => {
  it('exist for exactly the methods of the contract map', () => {
    const [map, handlers] = get();
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(map).sort());
  });

  it('refuse malformed payloads with E_INVALID_ARGUMENT and never reach the implementation', async () => {
    const [map, handlers] = get();
    calls.length = 0;
    let checked = 0;
    for (const name of Object.keys(map)) {
      for (const payload of malformed(map, name)) {
        const r = await (handlers as Record<string, IpcHandlers<ApiMap>[string]>)[name](appFrame, payload);
        expect(r, `${name} with ${typeof payload === 'object' ? JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) : String(payload)}`).toMatchObject({ ok: false, error: { code: 'E_INVALID_ARGUMENT' } });
        if (!r.ok) expect(r.error.message).toContain(name);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(Object.keys(map).length * 5);
    expect(calls).toEqual([]);
  });

  it('refuse foreign senders, sub-frames and dead frames with E_FORBIDDEN_SENDER before parsing', async () => {
    const [map, handlers] = get();
    calls.length = 0;
    for (const name of Object.keys(map)) {
      for (const sender of foreign) {
        // Even a well-formed empty call and a malformed one get the same answer: the sender first.
        for (const payload of [[], 'garbage']) {
          const r = await (handlers as Record<string, IpcHandlers<ApiMap>[string]>)[name](sender, payload);
          expect(r, `${name} from ${sender.senderFrame?.url ?? 'no frame'}`).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN_SENDER' } });
        }
      }
    }
    expect(calls).toEqual([]);
  });
});

describe('IPC handlers with valid calls from the app', () => {
  it('return contract-valid results from the real service', async () => {
    const info = (await studio['app.info'](appFrame, [])) as Result<unknown>;
    expect(info.ok).toBe(true);
    if (info.ok) {
      const v = studioApi['app.info'].result.parse(info.value);
      expect(v.desktop).toBe(true);
      expect(v.dataDir).toBe(svc.dataDir);
    }
    expect(calls).toContain('app.info');
  });

  it('persist settings through the service (validated, written to disk)', async () => {
    const r = await studio['settings.update'](appFrame, [{ defaultQuality: 77 }]);
    expect(r).toMatchObject({ ok: true, value: { defaultQuality: 77 } });
    const onDisk = JSON.parse(await fs.readFile(svc.settingsStore.file, 'utf8')) as { defaultQuality: number };
    expect(onDisk.defaultQuality).toBe(77);
    // Out of range: refused by the contract schema before the service sees it.
    const bad = await studio['settings.update'](appFrame, [{ defaultQuality: 1000 }]);
    expect(bad).toMatchObject({ ok: false, error: { code: 'E_INVALID_ARGUMENT' } });
  });

  it('add a photo by path and import pasted bytes; a non-image gets a coded error', async () => {
    const file = path.join(dir, 'photo.png');
    await sharp({ create: { width: 24, height: 16, channels: 3, background: '#c08040' } }).png().toFile(file);
    const added = await studio['library.addPaths'](appFrame, [[file]]);
    expect(added.ok).toBe(true);
    if (added.ok) expect(studioApi['library.addPaths'].result.parse(added.value)[0]).toMatchObject({ path: file, width: 24, height: 16 });

    const png = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer());
    const pasted = await desktop['desktop.importBytes'](appFrame, ['pasted.png', png]);
    expect(pasted).toMatchObject({ ok: true, value: { width: 8, height: 8 } });

    const notImage = await desktop['desktop.importBytes'](appFrame, ['notes.png', new TextEncoder().encode('hello, not a picture')]);
    expect(notImage.ok).toBe(false);
    if (!notImage.ok) expect(['E_UNSUPPORTED_FORMAT', 'E_CORRUPT_IMAGE']).toContain(notImage.error.code);
  });

  it('turn an unknown id into E_NOT_FOUND, not an exception', async () => {
    const r = await studio['jobs.get'](appFrame, ['no-such-job']);
    expect(r).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
  });
});
