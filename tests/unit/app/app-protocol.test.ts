import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppProtocolHandler, resolveAppFile } from '../../../src-main/app/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/app/security';

let dir: string;
let root: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-appproto-'));
  root = path.join(dir, 'renderer');
  await fs.mkdir(path.join(root, 'assets'), { recursive: true });
  await fs.writeFile(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
  await fs.writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  await fs.writeFile(path.join(dir, 'secret.txt'), 'outside the renderer');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('studio-app:// protocol', () => {
  const get = (url: string, method = 'GET') => createAppProtocolHandler(root)(new Request(url, { method }));

  it('serves the renderer with the CSP as a header and the right content types', async () => {
    const index = await get('studio-app://app/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<title>t</title>');
    const js = await get('studio-app://app/assets/app.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses paths that leave the renderer folder, other hosts, missing files and writes', async () => {
    // Encoded '..' is either refused or clamped to the root: never a file outside it.
    for (const url of ['studio-app://app/%2e%2e/secret.txt', 'studio-app://app/..%2fsecret.txt', 'studio-app://app/a/%2e%2e/%2e%2e/secret.txt']) {
      const f = resolveAppFile(root, url);
      if (f !== undefined) expect(f.startsWith(root + path.sep), url).toBe(true);
    }
    expect(resolveAppFile(root, 'studio-app://app/a%00b')).toBeUndefined();
    expect(resolveAppFile(root, 'studio-app://app/assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    for (const url of ['studio-app://app/%2e%2e/secret.txt', 'studio-app://app/..%2Fsecret.txt', 'studio-app://other/index.html', 'studio-app://app/nope.js', 'studio-app://app/assets']) {
      const r = await get(url);
      expect(r.status, url).toBe(404);
      expect(await r.text()).not.toContain('outside the renderer');
    }
    expect((await get('studio-app://app/index.html', 'POST')).status).toBe(405);
  });
});
