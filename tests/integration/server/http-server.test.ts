import { request } from 'node:http';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppInfo, ImageItem } from '../../../src-main/contract/api';
import { StudioEvent } from '../../../src-main/contract/events';
import { call, raw, startHarness, type ErrorBody, type Harness } from './helpers';

// The HTTP front door against a real StudioService on a temp data dir: every refusal the
// server promises, each with its coded error and status, over real loopback HTTP.

let h: Harness;
let base: string;
let png: Buffer;

beforeAll(async () => {
  h = await startHarness({ maxUploadMB: 1 });
  base = h.server.url;
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .png()
    .toBuffer();
});
afterAll(async () => {
  await h?.close();
});

function upload(body: Buffer, type: string, name = 'photo.png') {
  return raw(new URL(`api/upload?name=${encodeURIComponent(name)}`, base).toString(), {
    method: 'POST',
    headers: { 'Content-Type': type },
    body,
  });
}

describe('studio serve: binding and calls', () => {
  it('binds to the loopback address by default', () => {
    expect(h.server.host).toBe('127.0.0.1');
    expect(h.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(h.server.port).toBeGreaterThan(0);
  });

  it('answers a contract call with a result that matches the contract', async () => {
    const res = await call(base, 'app.info', []);
    expect(res.status).toBe(200);
    const body = res.json<{ ok: true; value: unknown }>();
    expect(body.ok).toBe(true);
    const info = AppInfo.parse(body.value);
    expect(info.dataDir).toBe(h.dataDir);
    expect(info.desktop).toBe(false);
  });

  it('refuses an unknown method with E_NOT_FOUND (404)', async () => {
    const res = await call(base, 'jobs.explode', []);
    expect(res.status).toBe(404);
    expect(res.json<ErrorBody>().error.code).toBe('E_NOT_FOUND');
  });

  it('zod-parses arguments: a wrong argument is E_INVALID_ARGUMENT (400)', async () => {
    const res = await call(base, 'jobs.get', [42]);
    expect(res.status).toBe(400);
    const err = res.json<ErrorBody>().error;
    expect(err.code).toBe('E_INVALID_ARGUMENT');
    expect(err.message).toContain('jobs.get');
    const extra = await call(base, 'settings.update', [{ notASetting: true }]);
    expect(extra.status).toBe(400);
  });

  it('refuses a body that is not JSON, and a call without the JSON content type', async () => {
    const bad = await raw(new URL('api/call/app.info', base).toString(), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[{' });
    expect(bad.status).toBe(400);
    expect(bad.json<ErrorBody>().error.code).toBe('E_INVALID_ARGUMENT');
    const form = await raw(new URL('api/call/app.info', base).toString(), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '[]' });
    expect(form.status).toBe(415);
    expect(form.json<ErrorBody>().error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses GET on a call route (405)', async () => {
    const res = await raw(new URL('api/call/app.info', base).toString());
    expect(res.status).toBe(405);
  });

  it('refuses an unknown job id with E_NOT_FOUND', async () => {
    const res = await call(base, 'jobs.get', ['no-such-job']);
    expect(res.status).toBe(404);
    expect(res.json<ErrorBody>().error.code).toBe('E_NOT_FOUND');
    const cancel = await call(base, 'jobs.cancel', ['no-such-job']);
    expect(cancel.json<ErrorBody>().error.code).toBe('E_NOT_FOUND');
    const media = await raw(new URL('media/output/no-such-job', base).toString());
    expect(media.status).toBe(404);
    expect(media.json<ErrorBody>().error.code).toBe('E_NOT_FOUND');
  });
});

describe('studio serve: security of the front door', () => {
  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const res = await raw(new URL('api/call/app.info', base).toString(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Host: 'attacker.example:80' },
      body: '[]',
    });
    expect(res.status).toBe(403);
    expect(res.json<ErrorBody>().error.code).toBe('E_FORBIDDEN_SENDER');
    const page = await raw(base, { headers: { Host: 'rebind.attacker.example' } });
    expect(page.status).toBe(403);
  });

  it('refuses calls sent by another web site (Origin)', async () => {
    const res = await call(base, 'app.info', [], { Origin: 'http://attacker.example' });
    expect(res.status).toBe(403);
    expect(res.json<ErrorBody>().error.code).toBe('E_FORBIDDEN_SENDER');
    const own = await call(base, 'app.info', [], { Origin: base.replace(/\/$/, '') });
    expect(own.status).toBe(200);
  });

  it('serves the page with a strict Content-Security-Policy', async () => {
    const res = await raw(base);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never serves files outside the renderer folder (directory traversal)', async () => {
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fpackage.json', '/..%5c..%5cpackage.json', '/.env', '/%00index.html']) {
      const res = await raw(base.replace(/\/$/, '') + p);
      expect(res.status, p).toBe(404);
      expect(res.body.toString()).not.toContain('loupe-studio');
    }
  });
});

describe('studio serve: uploads', () => {
  it('refuses a wrong content type with E_UNSUPPORTED_MEDIA_TYPE (415)', async () => {
    const res = await upload(Buffer.from('hello'), 'text/plain');
    expect(res.status).toBe(415);
    expect(res.json<ErrorBody>().error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a declared oversize body before reading it (413)', async () => {
    const res = await raw(new URL('api/upload?name=big.png', base).toString(), {
      method: 'POST',
      headers: { 'Content-Type': 'image/png', 'Content-Length': String(5 * 1024 * 1024) },
      body: Buffer.alloc(0),
    }).catch((err: Error) => err);
    expect(res).not.toBeInstanceOf(Error);
    const r = res as Awaited<ReturnType<typeof raw>>;
    expect(r.status).toBe(413);
    expect(r.json<ErrorBody>().error.code).toBe('E_PAYLOAD_TOO_LARGE');
  });

  it('refuses a streamed oversize body while it streams, not after taking it all', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    const result = await new Promise<{ status: number; code: string; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = request(new URL('api/upload?name=huge.png', base), { method: 'POST', headers: { 'Content-Type': 'image/png', 'Transfer-Encoding': 'chunked' } }, (res) => {
        answered = true;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(parts).toString()) as ErrorBody;
          resolve({ status: res.statusCode ?? 0, code: body.error.code, sent });
          req.destroy();
        });
      });
      req.on('error', (err) => {
        if (!answered) reject(err);
      });
      const pump = (): void => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!answered) req.end();
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.code).toBe('E_PAYLOAD_TOO_LARGE');
    // The answer came while most of the 64 MB was still unsent (the limit is 1 MB).
    expect(result.sent).toBeLessThan(total / 4);
  });

  it('refuses a file that is not an image with a coded error and keeps the library as it was', async () => {
    const before = ImageItem.array().parse((await call(base, 'library.list', [])).json<{ value: unknown }>().value);
    const res = await upload(Buffer.from('this is not an image at all'), 'application/octet-stream', 'notes.jpg');
    expect(res.status).toBe(422);
    expect(['E_UNSUPPORTED_FORMAT', 'E_CORRUPT_IMAGE']).toContain(res.json<ErrorBody>().error.code);
    const after = ImageItem.array().parse((await call(base, 'library.list', [])).json<{ value: unknown }>().value);
    expect(after.length).toBe(before.length);
  });

  it('stores an image upload in the library folder, announces it over SSE and serves its thumbnail', async () => {
    const events: StudioEvent[] = [];
    const sse = request(new URL('api/events', base), (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(StudioEvent.parse(JSON.parse(line.slice(6))));
        }
      });
    });
    sse.end();
    await new Promise((r) => setTimeout(r, 150));

    const res = await upload(png, 'image/png', '../../evil/../sunset.png');
    expect(res.status).toBe(200);
    const item = ImageItem.parse(res.json<{ value: unknown }>().value);
    expect(item.width).toBe(64);
    expect(item.height).toBe(48);
    expect(path.dirname(item.path).startsWith(h.dataDir)).toBe(true);
    expect(item.name).not.toContain('/');
    expect((await readdir(h.service.paths.library)).length).toBeGreaterThan(0);

    for (let t = 0; t < 50 && !events.some((e) => e.topic === 'library'); t++) await new Promise((r) => setTimeout(r, 20));
    sse.destroy();
    const lib = events.find((e) => e.topic === 'library');
    expect(lib && lib.topic === 'library' && lib.items.some((i) => i.id === item.id)).toBe(true);

    const thumb = await raw(new URL(`media/thumb/${item.id}?w=32`, base).toString());
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(thumb.body).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(32);
    const original = await raw(new URL(`media/original/${item.id}`, base).toString());
    expect(original.headers['content-type']).toBe('image/png');
    expect(original.body.equals(png)).toBe(true);
    const again = await raw(new URL(`media/thumb/${item.id}?w=32`, base).toString(), { headers: { 'If-None-Match': String(thumb.headers.etag) } });
    expect(again.status).toBe(304);
    const badW = await raw(new URL(`media/thumb/${item.id}?w=99999`, base).toString());
    expect(badW.status).toBe(400);
    const unknown = await raw(new URL('media/preview/nope', base).toString());
    expect(unknown.status).toBe(404);
  });
});

describe('studio serve: paths outside the studio folders', () => {
  it('refuses library.addPaths for a file outside the data folder', async () => {
    const outside = path.join(h.root, 'elsewhere', 'a.png');
    await mkdir(path.dirname(outside), { recursive: true });
    await writeFile(outside, png);
    const res = await call(base, 'library.addPaths', [[outside]]);
    expect(res.status).toBe(403);
    expect(res.json<ErrorBody>().error.code).toBe('E_PATH_NOT_ALLOWED');
    for (const p of ['/etc/passwd', `${h.dataDir}/../elsewhere/a.png`, 'relative/a.png']) {
      const r = await call(base, 'library.addPaths', [[p]]);
      expect(r.json<ErrorBody>().error.code, p).toBe('E_PATH_NOT_ALLOWED');
    }
  });

  it('accepts a path inside the data folder', async () => {
    const inside = path.join(h.dataDir, 'imports', 'inside.png');
    await mkdir(path.dirname(inside), { recursive: true });
    await writeFile(inside, png);
    const res = await call(base, 'library.addPaths', [[inside]]);
    expect(res.status).toBe(200);
    expect(ImageItem.array().parse(res.json<{ value: unknown }>().value)[0].path).toBe(inside);
  });

  it('refuses a symlink inside the data folder that points out of it', async () => {
    const target = path.join(h.root, 'elsewhere');
    const link = path.join(h.dataDir, 'sneaky');
    await symlink(target, link);
    const res = await call(base, 'library.addPaths', [[path.join(link, 'a.png')]]);
    expect(res.json<ErrorBody>().error.code).toBe('E_PATH_NOT_ALLOWED');
  });

  it('refuses jobs whose input, output folder or kernel path lie outside', async () => {
    const inside = path.join(h.dataDir, 'imports', 'inside.png');
    const cases = [
      { input: '/etc/hostname', method: 'bicubic', scale: 2 },
      { input: inside, method: 'bicubic', scale: 2, output: { dir: '/tmp/loupe-elsewhere' } },
      { input: inside, method: 'bicubic', scale: 2, zssr: { kernel_path: '/etc/kernel.mat' } },
    ];
    for (const req of cases) {
      const res = await call(base, 'jobs.enqueue', [req]);
      expect(res.status, JSON.stringify(req)).toBe(403);
      expect(res.json<ErrorBody>().error.code).toBe('E_PATH_NOT_ALLOWED');
    }
  });

  it('refuses settings that point the outputs folder outside', async () => {
    const res = await call(base, 'settings.update', [{ outputsDir: '/tmp' }]);
    expect(res.status).toBe(403);
    expect(res.json<ErrorBody>().error.code).toBe('E_PATH_NOT_ALLOWED');
  });

  it('refuses media whose file lies outside the studio folders', async () => {
    // An item added outside the server (desktop or CLI on the same data dir) is not served.
    const outside = path.join(h.root, 'elsewhere', 'a.png');
    const [item] = await h.service['library.addPaths']([outside]);
    const res = await raw(new URL(`media/original/${item.id}`, base).toString());
    expect(res.status).toBe(403);
    expect(res.json<ErrorBody>().error.code).toBe('E_PATH_NOT_ALLOWED');
  });
});
