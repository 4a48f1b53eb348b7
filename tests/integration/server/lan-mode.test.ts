// LAN mode: `studio serve --host 0.0.0.0 --public-host NAME` against a real service. Requests
// are made over loopback with the Host header a tablet (or an attacker's rebound page) sends;
// only loopback Host names on a loopback connection are token-free.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, raw, startHarness, type ErrorBody, type Harness } from './helpers';

const TOKEN = 'lan-test-token-0123456789';
let h: Harness;
let base: string;
let port: number;

beforeAll(async () => {
  h = await startHarness({ host: '0.0.0.0', publicHosts: ['studio.lan'], token: TOKEN });
  port = h.server.port;
  base = `http://127.0.0.1:${port}/`;
});
afterAll(async () => {
  await h?.close();
});

const lanHost = () => ({ Host: `studio.lan:${port}` });

describe('LAN mode', () => {
  it('the DNS-rebinding call of the probe is refused and changes nothing', async () => {
    const before = (await h.service['settings.get']()).defaultQuality;
    const evil = { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` };
    const res = await call(base, 'settings.update', [{ defaultQuality: 55 }], evil);
    expect(res.status).toBe(403);
    expect(res.json<ErrorBody>().error.code).toBe('E_FORBIDDEN_SENDER');
    expect((await h.service['settings.get']()).defaultQuality).toBe(before);
    const events = await raw(new URL('api/events', base).toString(), { headers: evil });
    expect(events.status).toBe(403);
  });

  it('a public name without the token gets 401 E_UNAUTHORIZED on calls, events, media and the page', async () => {
    const res = await call(base, 'settings.update', [{ defaultQuality: 55 }], lanHost());
    expect(res.status).toBe(401);
    expect(res.json<ErrorBody>().error.code).toBe('E_UNAUTHORIZED');
    expect((await h.service['settings.get']()).defaultQuality).not.toBe(55);
    for (const p of ['api/events', 'media/original/x', '']) {
      const r = await raw(new URL(p, base).toString(), { headers: lanHost() });
      expect(r.status, p).toBe(401);
    }
  });

  it('a wrong token, of any length, is refused', async () => {
    for (const t of ['x', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), '']) {
      const r = await call(base, 'app.info', [], { ...lanHost(), 'X-Studio-Token': t });
      expect(r.status, t).toBe(401);
      const c = await call(base, 'app.info', [], { ...lanHost(), Cookie: `studio_token=${t}` });
      expect(c.status, t).toBe(401);
    }
  });

  it('the pairing URL sets an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    const r = await raw(new URL(`?token=${TOKEN}`, base).toString(), { headers: lanHost() });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/studio_token=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0];
    const ok = await call(base, 'app.info', [], { ...lanHost(), Cookie: pair });
    expect(ok.status).toBe(200);
    const page = await raw(base, { headers: { ...lanHost(), Cookie: pair } });
    expect(page.status).toBe(200);
  });

  it('the token as a header or bearer works for programs; the events stream follows the same rule', async () => {
    expect((await call(base, 'app.info', [], { ...lanHost(), 'X-Studio-Token': TOKEN })).status).toBe(200);
    expect((await call(base, 'app.info', [], { ...lanHost(), Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const ac = new AbortController();
    const res = await fetch(new URL(`api/events?token=${TOKEN}`, base), { signal: ac.signal }).catch(() => undefined);
    // fetch always sends Host 127.0.0.1: loopback connection + loopback name is token-free.
    expect(res?.status).toBe(200);
    ac.abort();
  });

  it('this computer by a loopback name needs no token', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const r = await call(base, 'app.info', [], { Host: `${host}:${port}` });
      expect(r.status, host).toBe(200);
    }
  });
});

describe('studio serve in LAN mode (the command)', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'studio-lan-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const studio = path.resolve(import.meta.dirname, '../../../bin/studio.js');

  it('refuses a wildcard bind without --public-host (exit 2)', async () => {
    const p = spawn(process.execPath, [studio, 'serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const code = await new Promise<number | null>((r) => p.once('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/--public-host/);
  });

  it('prints a token, a pairing URL and a QR code; the URL pairs a browser', async () => {
    child = spawn(process.execPath, [studio, 'serve', '--host', '0.0.0.0', '--public-host', 'studio.lan,studio.local', '--port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (out += t));
    const deadline = Date.now() + 60_000;
    while (!/Press Ctrl-C/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    const urls = [...out.matchAll(/Pairing URL: (\S+)/g)].map((m) => m[1]);
    expect(urls.map((u) => new URL(u).hostname)).toEqual(['studio.lan', 'studio.local']);
    expect(out).toMatch(/[▀▄█]{10}/); // the QR code
    const u = new URL(urls[0]);
    const token = u.searchParams.get('token') ?? '';
    expect(token.length).toBeGreaterThanOrEqual(32);
    const local = `http://127.0.0.1:${u.port}/`;
    expect((await call(local, 'app.info', [], { Host: u.host })).status).toBe(401);
    const paired = await raw(`${local}?token=${token}`, { headers: { Host: u.host } });
    expect(paired.status).toBe(303);
    const cookie = String(paired.headers['set-cookie']).split(';')[0];
    expect((await call(local, 'app.info', [], { Host: u.host, Cookie: cookie })).status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
  }, 90_000);
});
