import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../src-main/contract/image';
import { decodeImage, encodeImage, JPEG_OPTIMISE_MAX_PIXELS, probeImage } from '../../../src-main/imaging';
import { jpegOptions } from '../../../src-main/imaging/encode';
import { gradient, meanAbsDiff } from './helpers';

describe('encode/decode round trips', () => {
  const img = gradient(32, 24);
  for (const [format, tol] of [
    ['png', 0],
    ['tiff', 0],
    ['jpeg', 0.02],
    ['webp', 0.02],
    ['avif', 0.03],
  ] as const) {
    it(`${format}: size, channels and pixels survive`, async () => {
      const buf = await encodeImage(img, { format, quality: 95 });
      const meta = await probeImage(buf);
      expect(meta).toMatchObject({ format, width: 32, height: 24, bitDepth: 8, channels: 3, hasAlpha: false, orientation: 1 });
      const d = await decodeImage(buf);
      expect([d.rgb.width, d.rgb.height, d.rgb.channels]).toEqual([32, 24, 3]);
      expect(d.alpha).toBeUndefined();
      const err = meanAbsDiff(d.rgb.data, img.data);
      if (tol === 0) expect(err).toBeLessThan(0.5 / 255 + 1e-6);
      else expect(err).toBeLessThan(tol);
    });
  }

  it('gif: first frame of an animation', async () => {
    const w = 8;
    const h = 6;
    const frames = Buffer.alloc(w * h * 2 * 3);
    for (let i = 0; i < w * h; i++) frames.set([255, 0, 0], i * 3); // frame 1 red
    for (let i = w * h; i < 2 * w * h; i++) frames.set([0, 0, 255], i * 3); // frame 2 blue
    const gif = await sharp(frames, { raw: { width: w, height: 2 * h, channels: 3, pageHeight: h } }).gif().toBuffer();
    const d = await decodeImage(gif);
    expect(d.meta).toMatchObject({ format: 'gif', width: w, height: h, pages: 2 });
    expect(Array.from(d.rgb.data.subarray(0, 3))).toEqual([1, 0, 0]);
  });

  it('16-bit PNG and TIFF keep 16-bit precision both ways', async () => {
    const w = 300;
    const fine: FloatImage = { width: w, height: 2, channels: 3, data: new Float32Array(w * 2 * 3) };
    for (let i = 0; i < fine.data.length; i++) fine.data[i] = (i % (w * 3)) / (w * 3 - 1);
    for (const format of ['png', 'tiff'] as const) {
      const buf = await encodeImage(fine, { format, bitDepth: 16 });
      expect((await probeImage(buf)).bitDepth).toBe(16);
      const d = await decodeImage(buf);
      expect(d.meta.bitDepth).toBe(16);
      expect(new Set(d.rgb.data).size).toBeGreaterThan(256);
      for (let i = 0; i < fine.data.length; i++) expect(Math.round(d.rgb.data[i] * 65535)).toBe(Math.round(fine.data[i] * 65535));
      // 8-bit output of the same pixels has at most 256 levels.
      const d8 = await decodeImage(await encodeImage(fine, { format }));
      expect(d8.meta.bitDepth).toBe(8);
      expect(new Set(d8.rgb.data).size).toBeLessThanOrEqual(256);
    }
  });

  it('grayscale stays one channel (8 and 16 bit)', async () => {
    const g = gradient(20, 10, 1);
    for (const bitDepth of [8, 16] as const) {
      const buf = await encodeImage(g, { format: 'png', bitDepth });
      const meta = await probeImage(buf);
      expect(meta).toMatchObject({ channels: 1, bitDepth });
      const d = await decodeImage(buf);
      expect(d.rgb.channels).toBe(1);
      expect(meanAbsDiff(d.rgb.data, g.data)).toBeLessThan(0.5 / 255 + 1e-6);
    }
  });

  it('applies EXIF orientation 6 (rotate 90 degrees clockwise) and records it', async () => {
    // 40x20 stored: left half red, right half blue. Upright it is 20x40, red on top.
    const w = 40;
    const h = 20;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
    const jpg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    expect(await probeImage(jpg)).toMatchObject({ orientation: 6, width: 20, height: 40 });
    const d = await decodeImage(jpg);
    expect(d.meta.orientation).toBe(6);
    expect([d.rgb.width, d.rgb.height]).toEqual([20, 40]);
    const px = (x: number, y: number) => Array.from(d.rgb.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)).map((v) => Math.round(v));
    expect(px(10, 5)).toEqual([1, 0, 0]);
    expect(px(10, 35)).toEqual([0, 0, 1]);
  });

  it('keeps alpha as a separate channel and writes it back (JPEG: flattened on white)', async () => {
    const w = 16;
    const h = 4;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([0, 0, 0, (i % w) * 17], i * 4);
    const png = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
    const d = await decodeImage(png);
    expect(d.meta.hasAlpha).toBe(true);
    expect(d.rgb.channels).toBe(3);
    expect(d.alpha).toMatchObject({ width: w, height: h, channels: 1 });
    expect(Array.from(d.alpha!.data.subarray(0, w)).map((v) => Math.round(v * 255))).toEqual(Array.from({ length: w }, (_, i) => i * 17));
    for (const format of ['png', 'webp', 'tiff'] as const) {
      const back = await decodeImage(await encodeImage(d.rgb, { format, alpha: d.alpha, quality: 100 }));
      expect(back.alpha).toBeDefined();
      expect(meanAbsDiff(back.alpha!.data, d.alpha!.data)).toBeLessThan(0.01);
    }
    const jpg = await decodeImage(await encodeImage(d.rgb, { format: 'jpeg', alpha: d.alpha, quality: 100 }));
    expect(jpg.alpha).toBeUndefined();
    expect(jpg.rgb.data[0]).toBeGreaterThan(0.95); // alpha 0 black -> white
    expect(jpg.rgb.data[(w - 1) * 3]).toBeLessThan(0.05); // alpha 255 black stays black
  });
});

describe('JPEG settings by size', () => {
  it('optimises Huffman tables up to the memory threshold only', async () => {
    expect(jpegOptions(92, 12e6).optimiseCoding).toBe(true);
    expect(jpegOptions(92, JPEG_OPTIMISE_MAX_PIXELS + 1).optimiseCoding).toBe(false);
    expect(jpegOptions(80).chromaSubsampling).toBe('4:2:0');
    // Small images really get the smaller, optimised file.
    const img = gradient(64, 48);
    const opt = await encodeImage(img, { format: 'jpeg', quality: 92 });
    const plain = await sharp(opt).jpeg({ quality: 92, chromaSubsampling: '4:4:4', optimiseCoding: false }).toBuffer();
    expect(opt.length).toBeLessThan(plain.length);
  });
});
