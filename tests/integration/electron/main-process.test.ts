// The built main process (out/main/app.js) booted under Node against a stand-in for the
// 'electron' module (fixtures/fake-electron: the Electron binary cannot be installed here), with
// the built preload loaded as a sandboxed renderer would load it and the bundled engine worker in
// a utilityProcess look-alike. Checks the wiring the unit tests cannot: protocols, IPC channels,
// window preferences, and one enhance from the bridge to a file on disk and back as media.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studioApi } from '../../../src-main/contract/api';
import { channelOf } from '../../../src-main/contract/define';
import { desktopApi } from '../../../src-main/contract/desktop';

const root = path.resolve(__dirname, '../../..');
const fixtures = path.join(__dirname, 'fixtures', 'fake-electron');
// Inside out/ (git-ignored) so the bundles resolve node_modules exactly as the real build does.
const buildDir = path.join(root, 'out', `.test-main-${process.pid}`);

interface Outcome {
  privileged: [string, Record<string, boolean>][];
  url: string;
  webPreferences: Record<string, unknown>;
  channels: string[];
  menu: string[];
  windowOpen: unknown;
  geolocation: boolean;
  index: { status: number; csp: string | null; body: string };
  added: { ok: boolean; value: { path: string; width: number }[] };
  enqueued: boolean;
  job: { state: string; outputs: string[]; error?: unknown };
  eventTypes: string[];
  media: { status: number; type: string | null; bytes: number };
  badArgs: { ok: boolean; error?: { code: string } };
  foreign: { ok: boolean; error?: { code: string } };
  showUnknown: { ok: boolean; error?: { code: string } };
  showOutput: { ok: boolean; value?: boolean };
  notifications: { title: string; body: string }[];
  forks: { serviceName: string; entry: string }[];
  exitCode: number;
  workersAlive: number;
  errors: unknown[];
}

let dir: string;
let outcome: Outcome;
let stderr = '';

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-main-'));
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-main.mjs'), '--out', buildDir], { encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  // A minimal page: this test is about main, not the UI build.
  await fs.mkdir(path.join(buildDir, 'renderer'), { recursive: true });
  await fs.writeFile(path.join(buildDir, 'renderer', 'index.html'), '<!doctype html><title>Loupe Studio</title><div id="app"></div>');
  const photo = path.join(dir, 'photo.png');
  await sharp({ create: { width: 30, height: 20, channels: 3, background: '#2b6a8a' } }).png().toFile(photo);
  const userData = path.join(dir, 'userData');
  await fs.mkdir(userData);
  const r = spawnSync(
    process.execPath,
    ['--import', path.join(fixtures, 'register.mjs'), path.join(fixtures, 'drive-main.mjs'), path.join(buildDir, 'main', 'app.js'), path.join(buildDir, 'preload', 'preload.cjs'), photo],
    { encoding: 'utf8', env: { ...process.env, FAKE_ELECTRON_USERDATA: userData }, timeout: 150_000 },
  );
  stderr = r.stderr;
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the main process run gave no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  outcome = JSON.parse(line.slice('RESULT '.length)) as Outcome;
}, 180_000);

afterAll(async () => {
  await fs.rm(buildDir, { recursive: true, force: true });
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the Electron main process, booted against a stand-in', () => {
  it('registers its two secure schemes and serves the page from studio-app:// with the CSP header', () => {
    expect(outcome.privileged.map(([s]) => s).sort()).toEqual(['studio-app', 'studio-media']);
    for (const [, p] of outcome.privileged) {
      expect(p).toMatchObject({ standard: true, secure: true });
      expect(p.bypassCSP).toBeUndefined();
    }
    expect(outcome.url).toBe('studio-app://app/index.html');
    expect(outcome.index.status).toBe(200);
    expect(outcome.index.csp?.startsWith("default-src 'none'")).toBe(true);
    expect(outcome.index.body).toContain('<title>Loupe Studio</title>');
  });

  it('opens one sandboxed window and denies new windows and permissions', () => {
    expect(outcome.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(outcome.webPreferences.preload)).toMatch(/preload\.cjs$/);
    expect(outcome.windowOpen).toEqual({ action: 'deny' });
    expect(outcome.geolocation).toBe(false);
    expect(outcome.menu).toEqual(['File', 'Edit', 'View', 'Window', 'help']);
  });

  it('handles exactly one IPC channel per contract method', () => {
    const expected = [...Object.keys(studioApi), ...Object.keys(desktopApi)].map(channelOf).sort();
    expect(outcome.channels).toEqual(expected);
  });

  it('runs a bicubic enhance from the bridge in the engine utility process and serves the result', async () => {
    expect(outcome.added.ok).toBe(true);
    expect(outcome.added.value[0].width).toBe(30);
    expect(outcome.enqueued).toBe(true);
    expect(outcome.job.state, JSON.stringify(outcome.job.error) + stderr.slice(-2000)).toBe('done');
    expect(outcome.eventTypes).toEqual(expect.arrayContaining(['state:queued', 'state:running', 'state:done']));
    expect(outcome.forks[0]).toEqual({ serviceName: 'Loupe Studio Engine', entry: path.join(buildDir, 'main', 'worker.js') });
    // The output file is in the data folder's outputs (the main process chose the folder).
    expect(outcome.job.outputs[0].startsWith(path.join(dir, 'userData', 'outputs'))).toBe(true);
    const meta = await sharp(outcome.job.outputs[0]).metadata();
    expect([meta.width, meta.height]).toEqual([60, 40]);
    expect(outcome.media).toMatchObject({ status: 200, type: 'image/png' });
    expect(outcome.media.bytes).toBe((await fs.stat(outcome.job.outputs[0])).size);
  });

  it('answers bad calls with codes and notifies when the batch is done', () => {
    expect(outcome.badArgs).toMatchObject({ ok: false, error: { code: 'E_INVALID_ARGUMENT' } });
    expect(outcome.foreign).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN_SENDER' } });
    expect(outcome.showUnknown).toMatchObject({ ok: false, error: { code: 'E_PATH_NOT_ALLOWED' } });
    expect(outcome.showOutput).toEqual({ ok: true, value: true });
    expect(outcome.notifications).toEqual([{ title: 'Enhancement finished', body: '1 photo ready.' }]);
  });

  it('quits cleanly: engine processes stopped, no error dialogs', () => {
    expect(outcome.exitCode).toBe(0);
    expect(outcome.workersAlive).toBe(0);
    expect(outcome.errors).toEqual([]);
  });
});
