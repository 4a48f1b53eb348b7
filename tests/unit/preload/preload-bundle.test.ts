// Static check of the preload as Electron would load it: the real bundle from
// scripts/build-main.mjs, run in a fresh V8 context with a sandbox-like `require` that knows only
// 'electron' (a stand-in for contextBridge / ipcRenderer / webUtils: the binary is not available
// here). What it exposes must be exactly the contract, and nothing of ipcRenderer itself.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studioApi } from '../../../src-main/contract/api';
import { EVENT_CHANNEL } from '../../../src-main/contract/bridge';
import { channelOf } from '../../../src-main/contract/define';
import { desktopApi } from '../../../src-main/contract/desktop';

const root = path.resolve(__dirname, '../../..');

interface Loaded {
  exposed: Map<string, unknown>;
  required: string[];
  invoked: [string, unknown][];
  listeners: Map<string, Set<(e: unknown, p: unknown) => void>>;
  ipcRenderer: Record<string, unknown>;
}

let dir: string;
let source: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-preload-'));
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build-main.mjs'), '--only', 'preload', '--out', dir], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  source = await fs.readFile(path.join(dir, 'preload', 'preload.cjs'), 'utf8');
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function load(): Loaded {
  const exposed = new Map<string, unknown>();
  const required: string[] = [];
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const ipcRenderer = {
    invoke: async (channel: string, payload: unknown) => {
      invoked.push([channel, payload]);
      return { ok: true, value: channel };
    },
    on: (channel: string, l: (e: unknown, p: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)?.add(l);
    },
    removeListener: (channel: string, l: (e: unknown, p: unknown) => void) => listeners.get(channel)?.delete(l),
    send: () => {
      throw new Error('the preload must not use ipcRenderer.send');
    },
    sendSync: () => {
      throw new Error('the preload must not use ipcRenderer.sendSync');
    },
  };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer,
    webUtils: { getPathForFile: (f: { path?: string }) => f.path ?? '' },
  };
  // A sandboxed preload's require knows only a few modules; ours needs only 'electron'.
  const sandboxRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`module not found in a sandboxed preload: ${id}`);
  };
  const context = vm.createContext({ console });
  const wrapper = vm.runInContext(`(function (require, module, exports) {${source}\n})`, context, { filename: 'preload.cjs' }) as (
    r: typeof sandboxRequire,
    m: { exports: unknown },
    e: unknown,
  ) => void;
  const module = { exports: {} };
  wrapper(sandboxRequire, module, module.exports);
  return { exposed, required, invoked, listeners, ipcRenderer };
}

describe('the bundled preload', () => {
  it('is one small CommonJS file that requires nothing but electron', () => {
    const requires = [...source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(source).not.toMatch(/\bimport\s*\(|^\s*import\s/m);
    // zod stays out: the method names are baked in from the contract at build time.
    expect(source.length).toBeLessThan(64 * 1024);
    expect(load().required).toEqual(['electron']);
  });

  it('exposes exactly one global, `studio`, with exactly the contract', () => {
    const { exposed } = load();
    expect([...exposed.keys()]).toEqual(['studio']);
    const studio = exposed.get('studio') as Record<string, unknown>;
    expect(Object.keys(studio).sort()).toEqual(['api', 'desktop', 'mediaUrl', 'onEvent', 'pathForFile']);
    expect(Object.keys(studio.api as object).sort()).toEqual(Object.keys(studioApi).sort());
    expect(Object.keys(studio.desktop as object).sort()).toEqual(Object.keys(desktopApi).sort());
    for (const group of [studio.api, studio.desktop] as Record<string, unknown>[]) {
      for (const fn of Object.values(group)) expect(typeof fn).toBe('function');
      expect(Object.isFrozen(group)).toBe(true);
    }
    expect(Object.isFrozen(studio)).toBe(true);
  });

  it('never hands out ipcRenderer or any of its functions', () => {
    const { exposed, ipcRenderer } = load();
    const forbidden = new Set<unknown>([ipcRenderer, ...Object.values(ipcRenderer)]);
    const seen = new Set<unknown>();
    const walk = (v: unknown, where: string): void => {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return;
      seen.add(v);
      expect(forbidden.has(v), where).toBe(false);
      for (const k of Object.getOwnPropertyNames(v)) {
        if (typeof v === 'function' && ['caller', 'callee', 'arguments'].includes(k)) continue;
        walk((v as Record<string, unknown>)[k], `${where}.${k}`);
      }
    };
    walk(exposed.get('studio'), 'studio');
    expect(seen.size).toBeGreaterThan(Object.keys(studioApi).length);
  });

  it('sends each call on its contract channel with the arguments as one fresh array', async () => {
    const { exposed, invoked } = load();
    const studio = exposed.get('studio') as { api: Record<string, (...a: unknown[]) => Promise<unknown>>; desktop: Record<string, (...a: unknown[]) => Promise<unknown>> };
    const args = ['job-1'];
    await expect(studio.api['jobs.get'](...args)).resolves.toEqual({ ok: true, value: 'jobs:get' });
    await studio.desktop['desktop.showInFolder']('/tmp/x.png');
    await studio.api['library.list']();
    expect(invoked).toEqual([
      [channelOf('jobs.get'), ['job-1']],
      ['desktop:showInFolder', ['/tmp/x.png']],
      ['library:list', []],
    ]);
    expect(invoked[0][1]).not.toBe(args);
  });

  it('delivers event payloads without the IPC event object, and unsubscribes', () => {
    const { exposed, listeners } = load();
    const studio = exposed.get('studio') as { onEvent(l: (...a: unknown[]) => void): () => void };
    const got: unknown[][] = [];
    const off = studio.onEvent((...a) => got.push(a));
    const registered = listeners.get(EVENT_CHANNEL);
    expect(registered?.size).toBe(1);
    for (const l of registered ?? []) l({ sender: 'ipc event with sender' }, { topic: 'menu', command: 'export' });
    expect(got).toEqual([[{ topic: 'menu', command: 'export' }]]);
    off();
    expect(registered?.size).toBe(0);
  });

  it('builds studio-media URLs and reads dropped-file paths', () => {
    const { exposed } = load();
    const studio = exposed.get('studio') as {
      mediaUrl(k: string, id: string, o?: object): string;
      pathForFile(f: object): string;
    };
    expect(studio.mediaUrl('preview', 'a b/c', { w: 511.6 })).toBe('studio-media://preview/a%20b%2Fc?w=512');
    expect(studio.mediaUrl('output', 'job', { i: 2 })).toBe('studio-media://output/job?i=2');
    expect(studio.pathForFile({ path: '/photos/x.jpg' })).toBe('/photos/x.jpg');
  });
});
