import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import { createStudioService, type StudioService } from '../../../src-main/service';
import { CAMERA_EXIF, readExif, writePhoto } from '../../unit/presets/helpers';
import { tempDir } from '../worker/helpers';

// A job's main output is the built-in "same as the result" output, rendered by the code that
// renders deliverables and plain exports: exporting a result again with the same options gives
// the same file.

let dir: string;
let s: StudioService;

beforeAll(async () => {
  dir = await tempDir('studio-main-output-');
  s = await createStudioService({ dataDir: path.join(dir, 'data'), jobStore: 'memory', onWarning: () => undefined });
});
afterAll(async () => {
  await s.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

async function run(req: EnhanceRequest): Promise<{ id: string; file: string }> {
  const job = await s['jobs.enqueue'](req);
  const done = await s.queue.wait(job.id);
  expect(done.error, JSON.stringify(done.error)).toBeUndefined();
  expect(done.state).toBe('done');
  return { id: job.id, file: done.outputs[0] };
}

/** A 16-bit RGBA ramp (alpha varies): the float path, 16 bits and alpha all at once. */
async function rgba16(file: string): Promise<string> {
  const w = 20;
  const h = 14;
  const d = new Uint16Array(w * h * 4);
  for (let i = 0; i < w * h; i++) d.set([(i * 997) % 65536, (i * 331) % 65536, (i * 7919) % 65536, Math.round(((i % w) / (w - 1)) * 65535)], i * 4);
  await sharp(d, { raw: { width: w, height: h, channels: 4 } }).toColourspace('rgb16').withExif(CAMERA_EXIF).png().toFile(file);
  return file;
}

async function grey(file: string): Promise<string> {
  const w = 18;
  const h = 12;
  const d = Buffer.alloc(w * h);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37) % 256;
  await sharp(d, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').withExif(CAMERA_EXIF).png().toFile(file);
  return file;
}

describe("a job's main output", () => {
  it('is byte for byte what a plain export of its result with the same options writes', async () => {
    const out = path.join(dir, 'out');
    const photo = await writePhoto(path.join(dir, 'IMG_1.jpg'), sharp({ create: { width: 24, height: 18, channels: 3, background: '#b47a3c', noise: { type: 'gaussian', mean: 120, sigma: 30 } } }), {
      icc: 'p3',
    });
    const cases: { input: string; method: string; output: EnhanceRequest['output']; depth: number; channels: number }[] = [
      { input: photo, method: 'lanczos', output: { dir: out, format: 'png' }, depth: 8, channels: 3 },
      { input: await rgba16(path.join(dir, 'deep.png')), method: 'bicubic', output: { dir: out }, depth: 16, channels: 4 },
      { input: await grey(path.join(dir, 'grey.png')), method: 'nearest', output: { dir: out, format: 'tiff' }, depth: 8, channels: 1 },
    ];
    for (const c of cases) {
      const job = await run({ input: c.input, method: c.method, scale: 2, output: c.output });
      const { files } = await s['jobs.export']({ jobId: job.id, output: { ...c.output, format: c.output?.format } });
      expect(files).toHaveLength(1);
      expect(files[0]).not.toBe(job.file);
      const [main, again] = await Promise.all([fs.readFile(job.file), fs.readFile(files[0])]);
      expect(again.equals(main), path.basename(job.file)).toBe(true);
      // 16-bit stays 16-bit, alpha stays, grey stays grey; EXIF travels with each.
      const m = await sharp(main).metadata();
      expect([m.depth === 'ushort' ? 16 : 8, m.channels], path.basename(job.file)).toEqual([c.depth, c.channels]);
      expect(await readExif(job.file)).toMatchObject({ Make: 'Canon', Model: 'EOS R5', Orientation: 1 });
    }
    const p3 = (await sharp(path.join(out, 'IMG_1_lanczos_x2.png')).metadata()).icc;
    expect(p3?.equals((await sharp(photo).metadata()).icc!)).toBe(true);
  });

  it('as TIFF carries the source EXIF, as deliverables do', async () => {
    const out = path.join(dir, 'tiff');
    const photo = await writePhoto(path.join(dir, 'IMG_2.jpg'), sharp({ create: { width: 20, height: 16, channels: 3, background: '#5a8cc8' } }));
    const job = await run({ input: photo, method: 'bicubic', scale: 2, output: { dir: out, format: 'tiff' } });
    expect(path.basename(job.file)).toBe('IMG_2_bicubic_x2.tif');
    const e = await readExif(job.file);
    expect(e).toMatchObject({ Make: 'Canon', Model: 'EOS R5', Copyright: 'Jane Doe Photography', Orientation: 1, ExposureTime: 1 / 250, GPSLatitudeRef: 'N' });
    expect(String(e?.DateTimeOriginal)).toBe('2024:05:06 07:08:09');
    const m = await sharp(job.file).metadata();
    expect([m.format, m.width, m.height]).toEqual(['tiff', 40, 32]);
    // ExifTool edited the temporary file before it got its name: nothing left beside it.
    expect(await fs.readdir(out)).toEqual(['IMG_2_bicubic_x2.tif']);
  });
});
