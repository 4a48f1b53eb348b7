import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpscaler } from '../../../src-main/engine/registry';
import { decodeImage, encodeImage, encodeSamples, type EncodeFormat } from '../../../src-main/imaging';
import { resizeFileToSamples } from '../../../src-main/worker/stream-resize';

/** The resize as the main output is written from it (encoded with the photo's metadata). */
async function resizeFileToBytes(...args: Parameters<typeof resizeFileToSamples>) {
  const { pixels, meta } = await resizeFileToSamples(...args);
  const channels = pixels.colour + (pixels.alpha ? 1 : 0);
  return { bytes: await encodeSamples(pixels.data, { ...pixels, channels }, { format: args[3], quality: args[2].output?.quality, meta }), meta };
}

// The streaming classical path (samples in, 8/16-bit rows out) must give the float path's pixels.

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-stream-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** A smooth 16-bit colour ramp with detail, so rounding differences would show. */
async function ramp16(file: string, w: number, h: number): Promise<void> {
  const d = new Uint16Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      d[i] = Math.round((x / (w - 1)) * 65535);
      d[i + 1] = Math.round((y / (h - 1)) * 65535);
      d[i + 2] = (x * 7919 + y * 104729) % 65536;
    }
  await sharp(d, { raw: { width: w, height: h, channels: 3 } }).toColourspace('rgb16').png().toFile(file);
}

async function floatPath(file: string, method: string, scale: number, format: EncodeFormat, depth: 8 | 16): Promise<{ data: Buffer; channels: number }> {
  const { rgb, meta } = await decodeImage(file);
  const out = await getUpscaler(method).upscale(rgb, { scale });
  const bytes = await encodeImage(out, { format, bitDepth: depth, meta });
  const r = await read(bytes, depth);
  return { data: r.data, channels: r.info.channels };
}

/** Samples as stored: sharp turns everything into 8-bit sRGB unless told the file's own space. */
async function read(bytes: Buffer, depth: 8 | 16) {
  const grey = (await sharp(bytes).metadata()).channels === 1;
  const space = depth === 16 ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
  return sharp(bytes).toColourspace(space).raw({ depth: depth === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
}

function maxDiff(a: Buffer, b: Buffer, depth: 8 | 16): number {
  const va = depth === 16 ? new Uint16Array(a.buffer, a.byteOffset, a.length / 2) : a;
  const vb = depth === 16 ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : b;
  expect(va.length).toBe(vb.length);
  let m = 0;
  for (let i = 0; i < va.length; i++) m = Math.max(m, Math.abs(va[i] - vb[i]));
  return m;
}

const noCancel = { signal: new AbortController().signal, onDecoded: () => undefined, onProgress: () => undefined, onEncoding: () => undefined };

describe('classical resize from file to bytes without float images', () => {
  it('keeps 16 bits and matches the float path (lanczos x3, PNG 16-bit)', async () => {
    const file = path.join(dir, 'ramp16.png');
    await ramp16(file, 37, 29);
    const { bytes, meta } = await resizeFileToBytes(file, 'lanczos3', { scale: 3 }, 'png', noCancel);
    expect(meta.bitDepth).toBe(16);
    const got = await read(bytes, 16);
    expect([got.info.width, got.info.height]).toEqual([111, 87]);
    const want = await floatPath(file, 'lanczos', 3, 'png', 16);
    // Both round once from the same resampling (float64 rows vs float32 pixels): at most 1 unit of 65535.
    expect(maxDiff(got.data, want.data, 16)).toBeLessThanOrEqual(1);
    // Real 16-bit content: far more distinct values than 8 bits could hold.
    expect(new Set(new Uint16Array(got.data.buffer, got.data.byteOffset, got.data.length / 2)).size).toBeGreaterThan(1000);
  });

  it('writes 8 bits when asked and for JPEG, carrying EXIF and the ICC profile, at a non-integer scale', async () => {
    const file = path.join(dir, 'photo.jpg');
    const src = await sharp(path.join(dir, 'ramp16.png')).toColourspace('srgb').jpeg({ quality: 95 }).withIccProfile('p3').withExif({ IFD0: { Artist: 'Stream Test' } }).toBuffer();
    await fs.writeFile(file, src);
    const { bytes } = await resizeFileToBytes(file, 'bicubic', { scale: 2.5 }, 'jpeg', noCancel);
    const m = await sharp(bytes).metadata();
    expect([m.width, m.height, m.format]).toEqual([93, 73, 'jpeg']);
    expect(m.icc?.length).toBeGreaterThan(0);
    expect(m.exif?.toString('latin1')).toContain('Stream Test');
    const png = await resizeFileToBytes(file, 'bicubic', { scale: 2.5 }, 'png', noCancel);
    const got = await read(png.bytes, 8);
    const want = await floatPath(file, 'bicubic', 2.5, 'png', 8);
    expect(maxDiff(got.data, want.data, 8)).toBeLessThanOrEqual(1);
  });

  it('handles grey images and stops with E_CANCELLED when cancelled after decoding', async () => {
    const file = path.join(dir, 'grey.png');
    await sharp(path.join(dir, 'ramp16.png')).greyscale().toColourspace('b-w').png().toFile(file);
    const { bytes } = await resizeFileToBytes(file, 'bilinear', { scale: 2 }, 'png', noCancel);
    const got = await read(bytes, 8);
    expect(got.info.channels).toBe(1);
    const want = await floatPath(file, 'bilinear', 2, 'png', 8);
    expect(want.channels).toBe(1);
    expect(maxDiff(got.data, want.data, 8)).toBeLessThanOrEqual(1);

    const ac = new AbortController();
    await expect(resizeFileToBytes(file, 'bilinear', { scale: 2 }, 'png', { ...noCancel, signal: ac.signal, onDecoded: () => ac.abort() })).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });
});
