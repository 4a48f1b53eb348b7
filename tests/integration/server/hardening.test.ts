// Holes a probe of the studio found (as an attacker and as a careless user), each against a real
// service behind a real server, with real files: uncoded 500s, media that are no longer the
// imported photo, an outputs folder outside the server's folders, grey + alpha, damaged colour
// profiles and damaged JPEG data.
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageItem } from '../../../src-main/contract/api';
import type { JobEvent, JobInfo } from '../../../src-main/contract/jobs';
import { createStudioService, dataPaths } from '../../../src-main/service';
import { call, raw, startHarness, type ErrorBody, type Harness } from './helpers';

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  base = h.server.url;
}, 60_000);
afterAll(() => h?.close());

async function noisyJpeg(side = 96): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 90 }).toBuffer();
}

/** A job run through the real queue, with the info messages it sent. */
async function runJob(input: string, format = 'png'): Promise<{ job: JobInfo; infos: string[] }> {
  const infos: string[] = [];
  const off = h.service.events.subscribe((e) => {
    if (e.topic === 'job' && e.event.type === 'info') infos.push((e.event as Extract<JobEvent, { type: 'info' }>).message);
  });
  try {
    const res = await call(base, 'jobs.enqueue', [{ input, method: 'bicubic', scale: 2, output: { dir: path.join(h.dataDir, 'out'), format } }]);
    expect(res.status, res.body.toString()).toBe(200);
    const job = await h.service.queue.wait(res.json<{ value: JobInfo }>().value.id);
    return { job, infos };
  } finally {
    off();
  }
}

describe('coded errors, never a 500', () => {
  it('malformed percent-encoding in a call or media path is 400 E_INVALID_ARGUMENT', async () => {
    const m = await raw(new URL('/media/original/%E0%A4%A', base).toString());
    expect(m.status).toBe(400);
    expect(m.json<ErrorBody>().error.code).toBe('E_INVALID_ARGUMENT');
    const c = await raw(new URL('/api/call/%E0%A4%A', base).toString(), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(c.status).toBe(400);
    expect(c.json<ErrorBody>().error.code).toBe('E_INVALID_ARGUMENT');
  });

  it('a truncated JPEG to /api/demo is 422 E_CORRUPT_IMAGE and names no internal path', async () => {
    const jpg = await noisyJpeg(128);
    const res = await raw(new URL('api/demo?method=bicubic', base).toString(), {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: jpg.subarray(0, Math.floor(jpg.length / 2)),
    });
    expect(res.status, res.body.toString()).toBe(422);
    const body = res.json<ErrorBody>();
    expect(body.error.code).toBe('E_CORRUPT_IMAGE');
    expect(JSON.stringify(body), JSON.stringify(body)).not.toContain(h.dataDir);
    expect(JSON.stringify(body)).not.toMatch(/\/demo\/|crop\.png/);
  });
});

describe('media serve only what was imported', () => {
  it('a photo replaced by a hard link to another file is not served', async () => {
    const dir = path.join(h.dataDir, 'photos');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'photo.jpg');
    await fs.writeFile(file, await noisyJpeg(32));
    const added = await call(base, 'library.addPaths', [[file]]);
    const item = added.json<{ value: ImageItem[] }>().value[0];
    const ok = await raw(new URL(`/media/original/${item.id}`, base).toString());
    expect(ok.status).toBe(200);

    // A secret outside the studio's folders, linked in under the photo's name.
    const secret = path.join(h.root, 'secret.txt');
    await fs.writeFile(secret, 'root:x:0:0:root:/root:/bin/bash\n');
    await fs.rm(file);
    await fs.link(secret, file);
    const res = await raw(new URL(`/media/original/${item.id}`, base).toString());
    expect(res.body.toString()).not.toContain('root:x:0:0');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.json<ErrorBody>().error.code).toMatch(/^E_/);
  });
});

describe('the outputs folder of settings.json', () => {
  it('a system folder in settings.json is refused on load, with a notice', async () => {
    const dataDir = path.join(h.root, 'other-data');
    await fs.mkdir(dataDir);
    await fs.writeFile(path.join(dataDir, 'settings.json'), JSON.stringify({ outputsDir: '/etc', defaultQuality: 77 }));
    const logged: string[] = [];
    const svc = await createStudioService({ dataDir, onWarning: (m) => logged.push(m) });
    try {
      const s = await svc['settings.get']();
      expect(s.outputsDir).toBe(dataPaths(dataDir).outputs);
      expect(s.defaultQuality).toBe(77);
      expect(logged.join('\n')).toMatch(/outputsDir '\/etc'/);
      expect((await svc['app.info']()).notices?.map((n) => n.message).join('\n')).toMatch(/outputsDir '\/etc'/);
      await expect(svc['settings.update']({ outputsDir: '/usr/share' })).rejects.toMatchObject({ code: 'E_PATH_NOT_ALLOWED' });
    } finally {
      await svc.dispose();
    }
  });

  it('a jobs without output folder never writes outside the server folders', async () => {
    const outside = path.join(h.root, 'outside-outputs');
    await fs.mkdir(outside);
    // settings.json edited by hand (or by the desktop app) to a folder the server may not reach.
    await h.service.settingsStore.update({ outputsDir: outside });
    const src = path.join(h.dataDir, 'photos', 'o.png');
    await fs.mkdir(path.dirname(src), { recursive: true });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).png().toFile(src);
    const res = await call(base, 'jobs.enqueue', [{ input: src, method: 'bicubic', scale: 2 }]);
    if (res.status === 200) {
      const job = await h.service.queue.wait(res.json<{ value: JobInfo }>().value.id);
      for (const f of job.outputs) expect(f.startsWith(h.dataDir), f).toBe(true);
    } else {
      expect(res.json<ErrorBody>().error.code).toBe('E_PATH_NOT_ALLOWED');
    }
    expect(await fs.readdir(outside)).toEqual([]);
  });
});

/** A JPEG with an APP2 ICC_PROFILE segment holding `icc` (not checked by anyone). */
function withRawIcc(jpg: Buffer, icc: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('ICC_PROFILE\0'), Buffer.from([1, 1]), icc]);
  const seg = Buffer.alloc(4);
  seg[0] = 0xff;
  seg[1] = 0xe2;
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpg.subarray(0, 2), seg, payload, jpg.subarray(2)]);
}

describe('what the engine gets from damaged files', () => {
  it('a garbage ICC profile is dropped with a warning, a real one is kept', async () => {
    const dir = path.join(h.dataDir, 'icc');
    await fs.mkdir(dir, { recursive: true });
    const garbage = Buffer.alloc(600);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 37 + 11) & 255;
    const bad = path.join(dir, 'bad.jpg');
    await fs.writeFile(bad, withRawIcc(await noisyJpeg(24), garbage));
    expect((await sharp(bad).metadata()).icc?.length).toBe(600);
    const { job, infos } = await runJob(bad, 'jpeg');
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    const bytes = await fs.readFile(job.outputs[0]);
    expect(bytes.includes(garbage.subarray(0, 64))).toBe(false);
    expect((await sharp(bytes).metadata()).icc).toBeUndefined();
    expect(infos.join('\n')).toMatch(/colour profile/i);

    const good = path.join(dir, 'p3.jpg');
    await sharp({ create: { width: 24, height: 24, channels: 3, background: '#c04020' } }).withIccProfile('p3').jpeg().toFile(good);
    const g = await runJob(good, 'jpeg');
    expect(g.job.state).toBe('done');
    expect((await sharp(g.job.outputs[0]).metadata()).icc?.length).toBeGreaterThan(100);
    expect(g.infos.join('\n')).not.toMatch(/colour profile/i);
  });

  it('a JPEG with 200 damaged bytes in the middle decodes, with a warning', async () => {
    const jpg = Buffer.from(await noisyJpeg(256));
    const mid = Math.floor(jpg.length / 2);
    for (let i = 0; i < 200; i++) jpg[mid + i] = (i * 91) & 255;
    const file = path.join(h.dataDir, 'damaged-mid.jpg');
    await fs.writeFile(file, jpg);
    const { job, infos } = await runJob(file);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(infos.join('\n')).toMatch(/damaged/i);
    const clean = path.join(h.dataDir, 'clean.jpg');
    await fs.writeFile(clean, await noisyJpeg(64));
    expect((await runJob(clean)).infos.join('\n')).not.toMatch(/damaged/i);
  });

  it('grey + alpha PNG keeps its alpha (bicubic)', async () => {
    const grey = Buffer.alloc(16 * 16 * 2);
    for (let p = 0; p < 256; p++) {
      grey[p * 2] = p;
      grey[p * 2 + 1] = p % 16 < 8 ? 255 : 0;
    }
    const file = path.join(h.dataDir, 'ga.png');
    await sharp(grey, { raw: { width: 16, height: 16, channels: 2 } }).toColourspace('b-w').png().toFile(file);
    expect((await fs.readFile(file))[25]).toBe(4); // PNG colour type 4: grey + alpha
    const inMeta = await sharp(file).metadata();
    expect([inMeta.channels, inMeta.hasAlpha]).toEqual([2, true]);
    const { job } = await runJob(file);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    const out = await sharp(job.outputs[0]).metadata();
    expect(out.hasAlpha).toBe(true);
    const { data, info } = await sharp(job.outputs[0]).raw().toBuffer({ resolveWithObject: true });
    const a = info.channels - 1;
    // Left half of each 16-px tile row opaque, right half transparent, at 2x.
    expect(data[(5 * info.width + 2) * info.channels + a]).toBe(255);
    expect(data[(5 * info.width + 28) * info.channels + a]).toBe(0);
  });
});
