import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './run-studio';

// `npm start` as a user (or a service manager) runs and stops it: npm runs the start script
// under `sh -c`, and a SIGTERM to npm must stop the server, not leave it running.

describe('npm start', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops the server when npm gets SIGTERM', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'studio-start-'));
    const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', path.join(dir, 'data')], {
      cwd: root,
      env: { ...process.env, CI: '1', STUDIO_NO_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`npm start did not start:\n${out}`)), 60_000);
      npm.stdout.on('data', () => {
        const m = /running at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    expect((await fetch(url)).status).toBe(200);
    npm.kill('SIGTERM');
    const answers = async (): Promise<boolean> => fetch(url).then(() => true, () => false);
    await expect.poll(answers, { timeout: 10_000, interval: 250 }).toBe(false);
  }, 90_000);
});
