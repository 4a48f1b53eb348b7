// The desktop app end to end, driven by Playwright's Electron support: launch, check the window
// is sandboxed with only the bridge exposed, open a photo and run a bicubic enhance. Needs the
// Electron binary (ELECTRON_PATH or the npm package's download) and a display; skipped otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const require = createRequire(import.meta.url);

function electronBinary(): string | undefined {
  const fromEnv = process.env.ELECTRON_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  try {
    const p = require('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const hasElectron = Boolean(binary) && hasDisplay;
if (!hasElectron) {
  console.log(
    `[electron smoke] skipped: ${binary ? 'no display (run under xvfb-run)' : 'the Electron binary is not installed (set ELECTRON_PATH or let npm download it)'}`,
  );
}

describe('desktop app smoke test', () => {
  let app: ElectronApplication | undefined;
  let dir = '';

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasElectron)(
    'opens a photo and runs a bicubic enhance in a sandboxed window',
    async () => {
      for (const [args, what] of [
        [['scripts/build-main.mjs'], 'main/preload build'],
        [['node_modules/vite/bin/vite.js', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'], 'renderer build'],
      ] as const) {
        const r = spawnSync(process.execPath, [...args], { cwd: root, encoding: 'utf8' });
        expect(r.status, `${what}: ${r.stderr}`).toBe(0);
      }
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-electron-'));
      const photo = path.join(dir, 'photo.png');
      await sharp({ create: { width: 48, height: 32, channels: 3, background: '#8a5a2b' } }).png().toFile(photo);
      const env = { ...process.env, STUDIO_HIDDEN_WINDOW: '1' } as Record<string, string>;
      delete env.ELECTRON_RUN_AS_NODE;
      app = await electron.launch({ executablePath: binary, args: [root, '--data-dir', path.join(dir, 'data')], env, timeout: 60_000 });
      const page: Page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');

      // The page runs sandboxed: no Node, only the bridge, loaded from the app's own origin.
      const env1 = await page.evaluate(() => ({
        origin: location.protocol + '//' + location.host,
        hasRequire: typeof (globalThis as { require?: unknown }).require !== 'undefined',
        hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
        bridge: Object.keys((window as unknown as { studio: object }).studio).sort(),
      }));
      expect(env1).toEqual({ origin: 'studio-app://app', hasRequire: false, hasProcess: false, bridge: ['api', 'desktop', 'mediaUrl', 'onEvent', 'pathForFile'] });

      const result = await page.evaluate(async (input) => {
        type R = { ok: boolean; value?: unknown; error?: { code: string } };
        const api = (window as unknown as { studio: { api: Record<string, (...a: unknown[]) => Promise<R>> } }).studio.api;
        const added = await api['library.addPaths']([input]);
        if (!added.ok) return { step: 'add', added };
        const item = (added.value as { id: string; path: string }[])[0];
        const job = await api['jobs.enqueue']({ input: item.path, method: 'bicubic', scale: 2, output: { format: 'png' } });
        if (!job.ok) return { step: 'enqueue', job };
        const id = (job.value as { id: string }).id;
        for (let i = 0; i < 600; i++) {
          const j = await api['jobs.get'](id);
          const v = j.value as { state: string; outputs: string[] };
          if (j.ok && (v.state === 'done' || v.state === 'failed')) return { step: 'done', job: v, itemId: item.id };
          await new Promise((r) => setTimeout(r, 100));
        }
        return { step: 'timeout' };
      }, photo);
      expect(result.step).toBe('done');
      const job = result.job as { state: string; outputs: string[] };
      expect(job.state).toBe('done');
      const meta = await sharp(job.outputs[0]).metadata();
      expect([meta.width, meta.height]).toEqual([96, 64]);

      // The output reaches the page through studio-media://, not file://.
      const size = await page.evaluate(async (id) => {
        const img = new Image();
        img.src = (window as unknown as { studio: { mediaUrl(k: string, id: string): string } }).studio.mediaUrl('original', id);
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      }, result.itemId as string);
      expect(size).toEqual([48, 32]);
    },
    180_000,
  );
});
