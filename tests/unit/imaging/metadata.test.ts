import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage, probeImage, renderPreview } from '../../../src-main/imaging';
import { gradient } from './helpers';

describe('ICC profile, EXIF, density', () => {
  it('keeps pixels in the embedded profile space and writes the same profile back', async () => {
    const w = 24;
    const h = 16;
    const raw = Buffer.alloc(w * h * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7) % 256;
    // A Display P3 image: pixels converted into P3 and the P3 profile attached.
    const p3 = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).withIccProfile('p3').png().toBuffer();
    const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    const d = await decodeImage(p3);
    expect(d.meta.icc?.length).toBeGreaterThan(100);
    // Decoded numbers are the file's own numbers, not converted to sRGB.
    expect(Array.from(d.rgb.data).map((v) => Math.round(v * 255))).toEqual(Array.from(stored));
    for (const format of ['png', 'jpeg', 'webp', 'tiff', 'avif'] as const) {
      const out = await encodeImage(d.rgb, { format, quality: 100, meta: d.meta });
      const m = await probeImage(out);
      expect(m.icc?.equals(d.meta.icc!), format).toBe(true);
      if (format === 'png' || format === 'tiff') {
        const back = await sharp(out, { ignoreIcc: true }).raw().toBuffer();
        expect(back.equals(stored), format).toBe(true);
      }
    }
  });

  it('carries EXIF with the orientation reset to 1 (pixels are upright), and density', async () => {
    const jpg = await sharp(Buffer.alloc(30 * 20 * 3, 90), { raw: { width: 30, height: 20, channels: 3 } })
      .withExif({ IFD0: { Make: 'TestCam' } })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const d = await decodeImage(jpg);
    expect(d.meta.orientation).toBe(6);
    expect(d.meta.exif?.toString('latin1')).toContain('TestCam');
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const m = await probeImage(await encodeImage(d.rgb, { format, meta: { exif: d.meta.exif } }));
      expect(m.exif?.toString('latin1'), format).toContain('TestCam');
      expect(m.orientation, format).toBe(1);
    }
    for (const format of ['png', 'jpeg', 'tiff'] as const) {
      expect((await probeImage(await encodeImage(gradient(8, 8), { format, meta: { density: 300 } }))).density, format).toBe(300);
    }
  });

  it('renderPreview: upright, bounded, never enlarged', async () => {
    const jpg = await sharp(Buffer.alloc(400 * 200 * 3, 128), { raw: { width: 400, height: 200, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const prev = await renderPreview(jpg, { maxSide: 100, format: 'webp' });
    expect(await sharp(prev).metadata()).toMatchObject({ format: 'webp', width: 50, height: 100 });
    const small = await renderPreview(await encodeImage(gradient(30, 20), { format: 'png' }), { maxSide: 100 });
    expect(await sharp(small).metadata()).toMatchObject({ format: 'jpeg', width: 30, height: 20 });
  });
});
