// `npm start` without the Electron binary: one line saying so, then the same studio served to
// the browser by `studio serve`. ELECTRON_PATH points nowhere so the fallback is taken even on a
// machine that has Electron; CI=1 keeps it from opening a browser.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');

describe('npm start without the desktop binary', () => {
  let dir = '';
  let pid: number | undefined;
  afterAll(async () => {
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('says so in one line and serves the studio over HTTP instead', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-start-'));
    const child = spawn(process.execPath, [path.join(root, 'scripts/start.mjs'), '--port', '0', '--data-dir', path.join(dir, 'data')], {
      cwd: root,
      env: { ...process.env, CI: '1', ELECTRON_PATH: path.join(dir, 'no-electron-here'), STUDIO_NO_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so the server it starts is stopped with it
    });
    pid = child.pid;
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const t0 = Date.now();
    while (!/https?:\/\/\S+/.test(out.split('\n').slice(1).join('\n'))) {
      if (Date.now() - t0 > 90_000) throw new Error(`no URL from studio serve; stdout: ${out}\nstderr: ${err}`);
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}; stdout: ${out}\nstderr: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const lines = out.split('\n');
    expect(lines[0]).toBe('npm start: the Electron desktop binary is missing, so the studio is served in your browser instead (studio serve).');
    const url = (lines[1].match(/https?:\/\/\S+/) ?? [''])[0].replace(/\/$/, '');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const res = await fetch(`${url}/api/call/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; value: { desktop: boolean; dataDir: string } };
    expect(body).toMatchObject({ ok: true, value: { desktop: false, dataDir: path.join(dir, 'data') } });

    process.kill(-(pid as number), 'SIGTERM');
    const code = await exited;
    expect(code === 0 || code === null || code === 143).toBe(true);
  }, 120_000);
});
