import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageItem } from '../../../src-main/contract/api';
import { StudioEvent } from '../../../src-main/contract/events';
import { JobInfo } from '../../../src-main/contract/jobs';
import { call, raw, startHarness, type ErrorBody, type Harness } from './helpers';

// Jobs through the HTTP front door with the real worker process: enqueue, structured events
// over SSE, outputs served by the media route, and the web demo (a random crop enlarged 8x).

let h: Harness;
let base: string;
let jpeg: Buffer;

/** Collects SSE events until stop() (parsed and validated against the contract). */
function listen(url: string): { events: StudioEvent[]; stop(): void; ready: Promise<void> } {
  const events: StudioEvent[] = [];
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  const req = request(new URL('api/events', url), (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes(': connected')) onReady();
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(StudioEvent.parse(JSON.parse(line.slice(6))));
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, ready, stop: () => req.destroy() };
}

async function until<T>(fn: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  h = await startHarness({ maxUploadMB: 2 });
  base = h.server.url;
  jpeg = await sharp({ create: { width: 120, height: 90, channels: 3, background: { r: 30, g: 90, b: 160 } } })
    .composite([{ input: Buffer.from('<svg width="120" height="90"><circle cx="60" cy="45" r="30" fill="#f4c050"/></svg>'), top: 0, left: 0 }])
    .jpeg({ quality: 90 })
    .toBuffer();
});
afterAll(async () => {
  await h?.close();
});

describe('jobs over HTTP', () => {
  it('runs an enhance job, streams its events and serves its output', async () => {
    const sse = listen(base);
    await sse.ready;
    const up = await raw(new URL('api/upload?name=sky.jpg', base).toString(), { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: jpeg });
    const item = ImageItem.parse(up.json<{ value: unknown }>().value);

    const res = await call(base, 'jobs.enqueue', [{ input: item.path, method: 'bicubic', scale: 2 }]);
    expect(res.status).toBe(200);
    const job = JobInfo.parse(res.json<{ value: unknown }>().value);

    await until(() => sse.events.some((e) => e.topic === 'job' && e.event.jobId === job.id && e.event.type === 'state' && e.event.state === 'done'));
    sse.stop();
    const mine = sse.events.filter((e) => e.topic === 'job' && e.event.jobId === job.id);
    expect(mine.some((e) => e.topic === 'job' && e.event.type === 'state' && e.event.state === 'running')).toBe(true);

    const done = JobInfo.parse((await call(base, 'jobs.get', [job.id])).json<{ value: unknown }>().value);
    expect(done.state).toBe('done');
    expect(done.outputs.length).toBe(1);
    expect(done.outputs[0].startsWith(h.dataDir)).toBe(true);

    const out = await raw(new URL(`media/output/${job.id}`, base).toString());
    expect(out.status).toBe(200);
    const meta = await sharp(out.body).metadata();
    expect([meta.width, meta.height]).toEqual([240, 180]);
    const small = await raw(new URL(`media/output/${job.id}?w=64`, base).toString());
    expect((await sharp(small.body).metadata()).width).toBe(64);
    const dl = await raw(new URL(`media/output/${job.id}?download=1`, base).toString());
    expect(String(dl.headers['content-disposition'])).toMatch(/^attachment; filename="/);
    const missing = await raw(new URL(`media/output/${job.id}?i=3`, base).toString());
    expect(missing.status).toBe(404);
  });

  it('exports into a folder inside the data dir when asked', async () => {
    const src = path.join(h.dataDir, 'imports', 'sky.png');
    await mkdir(path.dirname(src), { recursive: true });
    await writeFile(src, await sharp(jpeg).png().toBuffer());
    const dir = path.join(h.dataDir, 'exports', 'web');
    const res = await call(base, 'jobs.enqueue', [{ input: src, method: 'lanczos', scale: 2, output: { dir, format: 'webp', quality: 80 } }]);
    expect(res.status).toBe(200);
    const id = JobInfo.parse(res.json<{ value: unknown }>().value).id;
    let job: JobInfo | undefined;
    for (let i = 0; i < 600; i++) {
      job = JobInfo.parse((await call(base, 'jobs.get', [id])).json<{ value: unknown }>().value);
      if (job.state === 'done' || job.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job?.state).toBe('done');
    expect(path.dirname(job!.outputs[0])).toBe(dir);
    expect((await sharp(job!.outputs[0]).metadata()).format).toBe('webp');
  });
});

describe('the web demo (POST /api/demo)', () => {
  const demo = (body: Buffer, type: string, q = '') =>
    raw(new URL(`api/demo${q}`, base).toString(), { method: 'POST', headers: { 'Content-Type': type }, body });

  it('enlarges a random crop 8x and returns it as PNG', async () => {
    const res = await demo(jpeg, 'image/jpeg', '?method=bicubic&crop=32');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const meta = await sharp(res.body).metadata();
    expect([meta.width, meta.height]).toEqual([256, 256]);
    const info = JSON.parse(String(res.headers['x-studio-demo'])) as { crop: { x: number; y: number; width: number }; method: string };
    expect(info.method).toBe('bicubic');
    expect(info.crop.width).toBe(32);
    expect(info.crop.x).toBeGreaterThanOrEqual(0);
    expect(info.crop.x).toBeLessThanOrEqual(120 - 32);
  });

  it('returns base64 JSON with ?base64=1', async () => {
    const res = await demo(jpeg, 'image/jpeg', '?method=nearest&crop=16&base64=1');
    expect(res.status).toBe(200);
    const body = res.json<{ ok: true; value: { base64: string; mime: string; width: number; height: number } }>();
    expect(body.value.mime).toBe('image/png');
    const png = Buffer.from(body.value.base64, 'base64');
    expect((await sharp(png).metadata()).width).toBe(128);
    expect(body.value.width).toBe(128);
  });

  it('takes JPEG only, within max_MB', async () => {
    const png = await sharp(jpeg).png().toBuffer();
    const notJpeg = await demo(png, 'application/octet-stream', '?method=bicubic');
    expect(notJpeg.status).toBe(422);
    expect(notJpeg.json<ErrorBody>().error.code).toBe('E_UNSUPPORTED_FORMAT');
    const wrongType = await demo(jpeg, 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(wrongType.json<ErrorBody>().error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE');
    const big = await demo(Buffer.alloc(3 * 1024 * 1024, 0xff), 'image/jpeg');
    expect(big.status).toBe(413);
    expect(big.json<ErrorBody>().error.code).toBe('E_PAYLOAD_TOO_LARGE');
    const badMethod = await demo(jpeg, 'image/jpeg', '?method=../../x');
    expect(badMethod.json<ErrorBody>().error.code).toBe('E_MODEL_NOT_FOUND');
  });
});
