import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/contract/errors';
import { HostCheck } from '../../../src-main/server/host-check';
import { PathGuard } from '../../../src-main/server/path-guard';
import { statusOf } from '../../../src-main/server/respond';
import { resolveStatic } from '../../../src-main/server/static';
import { cleanUploadName, isImageUploadType } from '../../../src-main/server/upload';

let root: string;
let guard: PathGuard;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'loupe-guard-'));
  await mkdir(path.join(root, 'data', 'library'), { recursive: true });
  await mkdir(path.join(root, 'outside'), { recursive: true });
  await symlink(path.join(root, 'outside'), path.join(root, 'data', 'link'));
  guard = new PathGuard([path.join(root, 'data')]);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function refused(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof StudioError ? err.code : 'not a StudioError';
  }
}

describe('PathGuard', () => {
  it('allows the data dir and what is below it, including files that do not exist yet', () => {
    expect(guard.isAllowed(path.join(root, 'data'))).toBe(true);
    expect(guard.isAllowed(path.join(root, 'data', 'library', 'a.jpg'))).toBe(true);
    expect(guard.isAllowed(path.join(root, 'data', 'new', 'deeper', 'out.png'))).toBe(true);
  });

  it('refuses siblings with a common prefix, parents, traversal, symlinks out and relative paths', () => {
    expect(guard.isAllowed(path.join(root, 'data-evil', 'a.jpg'))).toBe(false);
    expect(guard.isAllowed(root)).toBe(false);
    expect(guard.isAllowed(path.join(root, 'data', '..', 'outside', 'a.jpg'))).toBe(false);
    expect(guard.isAllowed(path.join(root, 'data', 'link', 'a.jpg'))).toBe(false);
    expect(guard.isAllowed('data/library/a.jpg')).toBe(false);
    expect(guard.isAllowed(`${root}/data/a\0.jpg`)).toBe(false);
  });

  it('finds paths anywhere in call arguments', () => {
    const inside = path.join(root, 'data', 'library', 'a.jpg');
    expect(refused(() => guard.checkArgs([{ input: inside, method: 'bicubic', scale: 2 }], false))).toBeUndefined();
    expect(refused(() => guard.checkArgs([{ input: '/etc/passwd' }], false))).toBe('E_PATH_NOT_ALLOWED');
    expect(refused(() => guard.checkArgs([{ input: inside, output: { dir: '/var/tmp' } }], false))).toBe('E_PATH_NOT_ALLOWED');
    expect(refused(() => guard.checkArgs([{ recipe: { outDir: 'relative/out' } }], false))).toBe('E_PATH_NOT_ALLOWED');
    expect(refused(() => guard.checkArgs([{ watermark: { imagePath: 'C:\\logo.png' } }], false))).toBe('E_PATH_NOT_ALLOWED');
    // Bare strings are paths only for path methods (library.addPaths); ids are not.
    expect(refused(() => guard.checkArgs([['photo.jpg']], true))).toBe('E_PATH_NOT_ALLOWED');
    expect(refused(() => guard.checkArgs(['job-123'], false))).toBeUndefined();
    // Naming templates and subfolders are not paths.
    expect(refused(() => guard.checkArgs([{ naming: { template: '{name}_{w}px', subfolder: '{client}/{date}' } }], false))).toBeUndefined();
  });

  it('looks inside JSON documents passed as text (preset import)', () => {
    const doc = JSON.stringify({ version: 2, outputs: [{ watermark: { imagePath: '/home/someone/.ssh/id_rsa' } }] });
    expect(refused(() => guard.checkArgs([doc], false))).toBe('E_PATH_NOT_ALLOWED');
    expect(refused(() => guard.checkArgs([JSON.stringify({ name: 'web' })], false))).toBeUndefined();
  });
});

describe('resolveStatic', () => {
  const r = '/srv/renderer';
  it('maps URL paths below the root', () => {
    expect(resolveStatic(r, '/index.html')).toBe(path.resolve(r, 'index.html'));
    expect(resolveStatic(r, '/assets/app%20x.js')).toBe(path.resolve(r, 'assets', 'app x.js'));
  });
  it('refuses traversal, encoded or not, dot-files, backslashes and NUL', () => {
    for (const p of ['/../etc/passwd', '/%2e%2e/etc/passwd', '/assets/..%2f..%2fx', '/.git/config', '/a%5c..%5cb', '/x%00.html', '/%E0%A4%A']) {
      expect(resolveStatic(r, p), p).toBeUndefined();
    }
  });
});

describe('HostCheck', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const loop = new HostCheck('127.0.0.1');
  it('accepts loopback names with any port and refuses other hosts', () => {
    expect(loop.hostAllowed(req({ host: '127.0.0.1:4817' }))).toBe(true);
    expect(loop.hostAllowed(req({ host: 'localhost:4817' }))).toBe(true);
    expect(loop.hostAllowed(req({ host: '[::1]:4817' }))).toBe(true);
    expect(loop.hostAllowed(req({ host: 'evil.example:4817' }))).toBe(false);
    expect(loop.hostAllowed(req({ host: '127.0.0.1.evil.example' }))).toBe(false);
    expect(loop.hostAllowed(req({}))).toBe(false);
  });
  it('accepts only our own origin on calls', () => {
    expect(loop.originAllowed(req({ host: '127.0.0.1:4817' }))).toBe(true);
    expect(loop.originAllowed(req({ host: '127.0.0.1:4817', origin: 'http://127.0.0.1:4817' }))).toBe(true);
    expect(loop.originAllowed(req({ host: '127.0.0.1:4817', origin: 'http://127.0.0.1:9999' }))).toBe(false);
    expect(loop.originAllowed(req({ host: '127.0.0.1:4817', origin: 'null' }))).toBe(false);
    expect(loop.originAllowed(req({ host: '127.0.0.1:4817', origin: 'https://evil.example' }))).toBe(false);
  });
  it('takes the public names it is given; a wildcard bind answers to no other name', () => {
    expect(new HostCheck('0.0.0.0').hostAllowed(req({ host: 'studio.lan:4817' }))).toBe(false);
    expect(new HostCheck('0.0.0.0', ['studio.lan']).hostAllowed(req({ host: 'studio.lan:4817' }))).toBe(true);
    expect(new HostCheck('0.0.0.0', ['studio.lan']).hostAllowed(req({ host: 'evil.example:4817' }))).toBe(false);
    expect(new HostCheck('127.0.0.1', ['studio.lan']).hostAllowed(req({ host: 'studio.lan:4817' }))).toBe(true);
  });
});

describe('uploads and statuses', () => {
  it('keeps only a clean base name', () => {
    expect(cleanUploadName('../../etc/passwd')).toBe('passwd');
    expect(cleanUploadName('C:\\Users\\me\\IMG 001.JPG')).toBe('IMG 001.JPG');
    expect(cleanUploadName('..hidden.png')).toBe('hidden.png');
    expect(cleanUploadName('a\u0000b<c>.png')).toBe('a_b_c_.png');
    expect(cleanUploadName(null)).toBe('upload');
    expect(cleanUploadName('x'.repeat(500) + '.png').length).toBe(180);
  });
  it('takes image types and octet-stream only', () => {
    expect(isImageUploadType('image/jpeg')).toBe(true);
    expect(isImageUploadType('image/svg+xml')).toBe(true);
    expect(isImageUploadType('application/octet-stream')).toBe(true);
    expect(isImageUploadType('text/plain')).toBe(false);
    expect(isImageUploadType('multipart/form-data')).toBe(false);
    expect(isImageUploadType('')).toBe(false);
  });
  it('maps codes to HTTP statuses, new codes included', () => {
    expect(statusOf('E_NOT_FOUND')).toBe(404);
    expect(statusOf('E_PATH_NOT_ALLOWED')).toBe(403);
    expect(statusOf('E_PAYLOAD_TOO_LARGE')).toBe(413);
    expect(statusOf('E_UNSUPPORTED_MEDIA_TYPE')).toBe(415);
    expect(statusOf('E_INTERNAL')).toBe(500);
  });
});
