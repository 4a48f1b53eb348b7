import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { PresetInput } from '../../../src-main/contract/presets';
import { createPresetStore, exportWithPreset, parsePreset } from '../../../src-main/presets';
import { iccDescription } from '../../../src-main/metadata/icc';
import { invert3, rgbToXyzMatrix } from '../../../src-main/metadata/icc-matrix';
import { presetResource } from '../../../src-main/base/resources';
import { floatImage, pixel, readExif, solid, sourceFrom, storedPixels, tmpDir, writePhoto } from './helpers';

const preset = (outputs: unknown[], extra: Partial<PresetInput> = {}) => parsePreset({ version: 2, id: 'test', name: 'Test', outputs, ...extra });
const srgbDecode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const image = (o: Record<string, unknown>) => ({ kind: 'image', naming: { template: '{name}_{w}' }, ...o });

describe('exportWithPreset: metadata', () => {
  it('keeps, filters or strips EXIF as asked; GPS only with "all"', async () => {
    const dir = await tmpDir();
    const src = await writePhoto(path.join(dir, 'IMG_1.jpg'), solid(48, 32, [180, 120, 60]));
    const s = await sourceFrom(src);
    const files = await exportWithPreset(
      s,
      preset([
        image({ format: { format: 'jpeg' }, metadata: { mode: 'all' }, naming: { template: '{name}_all' } }),
        image({ format: { format: 'jpeg' }, metadata: { mode: 'camera-copyright' }, naming: { template: '{name}_cam' } }),
        image({ format: { format: 'jpeg' }, metadata: { mode: 'none' }, naming: { template: '{name}_none' } }),
        image({ format: { format: 'jpeg' }, metadata: { mode: 'none', copyright: '© 2025 Studio X', creator: 'Studio X' }, naming: { template: '{name}_mine' } }),
        image({ format: { format: 'webp' }, metadata: { mode: 'camera-copyright' }, naming: { template: '{name}_cam' } }),
        image({ format: { format: 'png', bitDepth: 8 }, metadata: { mode: 'all' }, naming: { template: '{name}_all' } }),
      ]),
      { outRoot: path.join(dir, 'out') },
    );
    expect(files.map((f) => path.basename(f))).toEqual(['IMG_1_all.jpg', 'IMG_1_cam.jpg', 'IMG_1_none.jpg', 'IMG_1_mine.jpg', 'IMG_1_cam.webp', 'IMG_1_all.png']);

    const all = await readExif(files[0]);
    expect(all).toMatchObject({ Make: 'Canon', Model: 'EOS R5', Copyright: 'Jane Doe Photography', GPSLatitudeRef: 'N' });
    expect(all?.GPSLatitude).toEqual([48, 51, 24]);
    expect(String(all?.DateTimeOriginal)).toBe('2024:05:06 07:08:09');

    for (const f of [files[1], files[4]]) {
      const cam = await readExif(f);
      expect(cam).toMatchObject({ Make: 'Canon', Model: 'EOS R5', Copyright: 'Jane Doe Photography', Artist: 'Jane Doe', ISO: 400 });
      expect(String(cam?.DateTimeOriginal)).toBe('2024:05:06 07:08:09');
      expect(cam?.GPSLatitude).toBeUndefined();
      expect(cam?.GPSLongitude).toBeUndefined();
      expect(cam?.ImageDescription).toBeUndefined();
      // Not hidden anywhere else in the file either.
      expect((await fs.readFile(f)).includes(Buffer.from('lake house'))).toBe(false);
    }

    expect((await sharp(files[2]).metadata()).exif).toBeUndefined();
    expect(await readExif(files[2])).toBeUndefined();

    const mine = await readExif(files[3]);
    expect(mine).toMatchObject({ Copyright: '© 2025 Studio X', Artist: 'Studio X' });
    expect(mine?.Make).toBeUndefined();

    const png = await readExif(files[5]);
    expect(png).toMatchObject({ Make: 'Canon', GPSLatitudeRef: 'N' });
  });

  it('writes EXIF into TIFF too (camera fields kept, GPS stripped)', async () => {
    const dir = await tmpDir();
    const src = await writePhoto(path.join(dir, 'IMG_2.jpg'), solid(40, 30, [90, 140, 200]));
    const [tif] = await exportWithPreset(
      await sourceFrom(src),
      preset([image({ format: { format: 'tiff', bitDepth: 8 }, metadata: { mode: 'camera-copyright', copyright: 'Client copy' } })]),
      { outRoot: dir },
    );
    expect(path.extname(tif)).toBe('.tif');
    const e = await readExif(tif);
    expect(e).toMatchObject({ Make: 'Canon', Model: 'EOS R5', Copyright: 'Client copy', Orientation: 1, ExposureTime: 1 / 250 });
    expect(String(e?.DateTimeOriginal)).toBe('2024:05:06 07:08:09');
    expect(e?.GPSLatitude).toBeUndefined();
    const m = await sharp(tif).metadata();
    expect(m.format).toBe('tiff');
    expect([m.width, m.height]).toEqual([40, 30]);
    // ExifTool edited the file in place of the temp file: no leftovers.
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('carries EXIF from a TIFF original (which libvips does not read) to other formats', async () => {
    const dir = await tmpDir();
    const jpg = await writePhoto(path.join(dir, 'IMG_7.jpg'), solid(24, 16, [60, 60, 60]));
    const [tifOriginal] = await exportWithPreset(await sourceFrom(jpg), preset([image({ format: { format: 'tiff', bitDepth: 8 }, metadata: { mode: 'all' }, naming: { template: 'scan' } })]), {
      outRoot: dir,
    });
    const s = await sourceFrom(tifOriginal);
    expect(s.meta.exif).toBeUndefined();
    const files = await exportWithPreset(
      s,
      preset([
        image({ format: { format: 'jpeg' }, metadata: { mode: 'all' }, naming: { template: '{name}_all' } }),
        image({ format: { format: 'jpeg' }, metadata: { mode: 'camera-copyright' }, naming: { template: '{name}_cam' } }),
      ]),
      { outRoot: dir },
    );
    const all = await readExif(files[0]);
    expect(all).toMatchObject({ Make: 'Canon', Model: 'EOS R5', GPSLatitudeRef: 'N' });
    // The TIFF's own pixel-layout tags did not travel.
    expect(all?.StripOffsets).toBeUndefined();
    expect(all?.BitsPerSample).toBeUndefined();
    const cam = await readExif(files[1]);
    expect(cam).toMatchObject({ Make: 'Canon', Copyright: 'Jane Doe Photography' });
    expect(cam?.GPSLatitude).toBeUndefined();
  });

  it('applies orientation to the pixels and resets the tag', async () => {
    const dir = await tmpDir();
    // Stored landscape: left half red, right half blue. Orientation 6 shows it rotated 90° clockwise:
    // portrait with red on top.
    const w = 40;
    const h = 20;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [230, 20, 20] : [20, 20, 230], (y * w + x) * 3);
    const src = await writePhoto(path.join(dir, 'IMG_3.jpg'), sharp(raw, { raw: { width: w, height: h, channels: 3 } }), { orientation: 6 });
    expect((await sharp(src).metadata()).orientation).toBe(6);
    const files = await exportWithPreset(
      await sourceFrom(src),
      preset([
        image({ format: { format: 'png', bitDepth: 8 }, metadata: { mode: 'all' } }),
        image({ format: { format: 'tiff', bitDepth: 8 }, metadata: { mode: 'all' } }),
      ]),
      { outRoot: dir },
    );
    for (const f of files) {
      const m = await sharp(f).metadata();
      expect([m.width, m.height]).toEqual([20, 40]);
      expect(m.orientation ?? 1).toBe(1);
      expect((await readExif(f))?.Orientation).toBe(1);
      const px = await storedPixels(f);
      const top = pixel(px, 10, 5);
      const bottom = pixel(px, 10, 34);
      expect(top[0]).toBeGreaterThan(180);
      expect(top[2]).toBeLessThan(80);
      expect(bottom[2]).toBeGreaterThan(180);
      expect(bottom[0]).toBeLessThan(80);
    }
  });
});

describe('exportWithPreset: XMP and grey images', () => {
  it('keeps the original XMP (orientation reset) only with "all"', async () => {
    const dir = await tmpDir();
    const xmp =
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" tiff:Orientation="6">' +
      '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">XMP rights</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>';
    const src = path.join(dir, 'x.jpg');
    await solid(16, 16, [50, 90, 130]).withXmp(xmp).jpeg().toFile(src);
    const files = await exportWithPreset(
      await sourceFrom(src),
      preset([
        image({ format: { format: 'jpeg' }, metadata: { mode: 'all' }, naming: { template: 'all' } }),
        image({ format: { format: 'tiff', bitDepth: 8 }, metadata: { mode: 'all' }, naming: { template: 'all' } }),
        image({ format: { format: 'jpeg' }, metadata: { mode: 'camera-copyright' }, naming: { template: 'cam' } }),
      ]),
      { outRoot: dir },
    );
    for (const f of files.slice(0, 2)) {
      const text = (await sharp(f).metadata()).xmpAsString ?? '';
      expect(text).toContain('XMP rights');
      expect(text).toContain('tiff:Orientation="1"');
      expect(text).not.toContain('tiff:Orientation="6"');
    }
    expect((await sharp(files[2]).metadata()).xmp).toBeUndefined();
  });

  it('exports grey originals as grey (keep) or as RGB (converted), with provenance XMP', async () => {
    const dir = await tmpDir();
    const src = path.join(dir, 'grey.png');
    const ramp = Buffer.alloc(64 * 4);
    for (let i = 0; i < ramp.length; i++) ramp[i] = (i % 64) * 4;
    await sharp(ramp, { raw: { width: 64, height: 4, channels: 1 } }).png().toFile(src);
    // A 1-channel enhanced image, as learned methods return for grey input.
    const rgb = { width: 64, height: 4, channels: 1 as const, data: Float32Array.from(ramp, (v) => v / 255) };
    const s = { rgb, meta: { format: 'png' as const, bitDepth: 8 as const }, sourcePath: src, method: 'zssr', scale: 1, settings: { num_epochs: 500 } };
    const files = await exportWithPreset(
      s,
      preset([
        image({ format: { format: 'png', bitDepth: 8 }, colour: 'keep', naming: { template: 'keep' } }),
        image({ format: { format: 'jpeg', quality: 100, chromaSubsampling: '4:4:4' }, colour: 'srgb', naming: { template: 'web' } }),
        { kind: 'sidecar', json: false, xmp: true },
      ]),
      { outRoot: dir },
    );
    expect(files.map((f) => path.basename(f))).toEqual(['keep.png', 'web.jpg', 'keep.xmp', 'web.xmp']);
    const keep = await sharp(files[0]).metadata();
    expect([keep.channels, keep.space]).toEqual([1, 'b-w']);
    expect(Array.from(await sharp(files[0]).toColourspace('b-w').raw().toBuffer())).toEqual(Array.from(ramp));
    const web = await sharp(files[1]).metadata();
    expect(web.channels).toBe(3);
    const px = await storedPixels(files[1]);
    const mid = pixel(px, 32, 2);
    expect(Math.abs(mid[0] - 128)).toBeLessThanOrEqual(2);
    expect(Math.max(...mid) - Math.min(...mid)).toBeLessThanOrEqual(1);
    const xmp = await fs.readFile(files[3], 'utf8');
    expect(xmp).toContain('loupe:AIEnhanced="True"');
    expect(xmp).toContain('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicallyEnhanced"');
    expect(xmp).toContain('loupe:Settings="{&quot;num_epochs&quot;:500}"');
    expect(xmp).toContain(`loupe:SourceSHA256="${createHash('sha256').update(await fs.readFile(src)).digest('hex')}"`);
  });
});

describe('exportWithPreset: colour', () => {
  it('converts Display P3 pixels to sRGB like lcms does on the file, and embeds sRGB', async () => {
    const dir = await tmpDir();
    // A 16-bit Display P3 file with saturated colours.
    const w = 16;
    const raw = new Uint16Array(w * 4 * 3);
    for (let i = 0; i < w * 4; i++) raw.set([((i * 37) % 256) * 257, ((i * 91) % 256) * 257, ((i * 53) % 256) * 257], i * 3);
    const src = path.join(dir, 'p3.png');
    // (sharp takes unprofiled 16-bit numbers as Display P3, so this only attaches the profile.)
    await sharp(raw, { raw: { width: w, height: 4, channels: 3 } }).toColourspace('rgb16').withIccProfile('p3').png().toFile(src);
    const stored = await storedPixels(src);
    expect(Array.from(stored.data)).toEqual(Array.from(raw));
    const s = await sourceFrom(src);
    expect(iccDescription(s.meta.icc)).toBeDefined();
    const [out] = await exportWithPreset(s, preset([image({ format: { format: 'png', bitDepth: 16 }, colour: 'srgb' })]), { outRoot: dir });
    expect(iccDescription((await sharp(out).metadata()).icc)).toMatch(/srgb/i);
    const got = await storedPixels(out);

    // Reference 1: libvips/lcms converting the file by its embedded profile, separately.
    const refBuf = await sharp(src).withIccProfile('srgb').toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    const ref = new Uint16Array(refBuf.buffer, refBuf.byteOffset, refBuf.length / 2);
    let worstLcms = 0;
    for (let i = 0; i < ref.length; i++) worstLcms = Math.max(worstLcms, Math.abs(ref[i] - got.data[i]));
    expect(worstLcms).toBeLessThanOrEqual(2);

    // Reference 2: the textbook conversion (P3 primaries -> XYZ -> sRGB, clipped), compared in
    // linear light; lcms' 16-bit transforms interpolate, so this one is looser.
    const p3ToXyz = rgbToXyzMatrix({ red: [0.68, 0.32], green: [0.265, 0.69], blue: [0.15, 0.06], white: [0.3127, 0.329] });
    const xyzToSrgb = invert3(rgbToXyzMatrix({ red: [0.64, 0.33], green: [0.3, 0.6], blue: [0.15, 0.06], white: [0.3127, 0.329] }));
    let worst = 0;
    let moved = 0;
    for (let p = 0; p < w * 4; p++) {
      const lin = [0, 1, 2].map((c) => srgbDecode(raw[p * 3 + c] / 65535));
      const xyz = p3ToXyz.map((r) => r[0] * lin[0] + r[1] * lin[1] + r[2] * lin[2]);
      for (let c = 0; c < 3; c++) {
        const want = Math.min(1, Math.max(0, xyzToSrgb[c][0] * xyz[0] + xyzToSrgb[c][1] * xyz[1] + xyzToSrgb[c][2] * xyz[2]));
        worst = Math.max(worst, Math.abs(srgbDecode(got.data[p * 3 + c] / 65535) - want));
        moved = Math.max(moved, Math.abs(got.data[p * 3 + c] - raw[p * 3 + c]) / 257);
      }
    }
    expect(worst).toBeLessThan(0.025);
    // And the numbers really changed (P3 values are not sRGB values).
    expect(moved).toBeGreaterThan(10);
  });

  it('converts to Adobe RGB (1998) and embeds the shipped profile', async () => {
    const dir = await tmpDir();
    const src = path.join(dir, 'prim.png');
    const raw = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]);
    await sharp(raw, { raw: { width: 4, height: 1, channels: 3 } }).withIccProfile('srgb').png().toFile(src);
    const [out] = await exportWithPreset(await sourceFrom(src), preset([image({ format: { format: 'png', bitDepth: 8 }, colour: 'adobe-rgb' })]), { outRoot: dir });
    const m = await sharp(out).metadata();
    expect(m.icc?.equals(await fs.readFile(presetResource('icc', 'adobe-rgb-1998-compatible.icc')))).toBe(true);
    const got = Array.from((await storedPixels(out)).data);
    // Published sRGB -> Adobe RGB values for the primaries and mid grey. The blue primary's red
    // channel is ~0.0001 linear, i.e. 2-4 levels after the 1/2.2 curve: 8-bit tools print 0.
    const expected = [219, 0, 0, 144, 255, 60, 0, 0, 250, 127, 127, 127];
    got.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(i === 6 ? 4 : 1));
  });

  it('keeps the source profile and pixel values with colour "keep"', async () => {
    const dir = await tmpDir();
    const src = path.join(dir, 'keep.png');
    const raw = Buffer.alloc(8 * 8 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 29) % 256;
    await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } }).withIccProfile('p3').png().toFile(src);
    const [out] = await exportWithPreset(await sourceFrom(src), preset([image({ format: { format: 'png', bitDepth: 8 }, colour: 'keep' })]), { outRoot: dir });
    const [a, b] = await Promise.all([sharp(src).metadata(), sharp(out).metadata()]);
    expect(b.icc?.equals(a.icc!)).toBe(true);
    expect(Array.from((await storedPixels(out)).data)).toEqual(Array.from((await storedPixels(src)).data));
  });

  it('keeps 16 bits from a 16-bit original: no banding', async () => {
    const dir = await tmpDir();
    // A shallow 16-bit ramp: 1000 distinct levels that 8 bits would squeeze into 4.
    const w = 1000;
    const h = 2;
    const ramp = new Uint16Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ramp.set([30000 + x, 20000 + x, 10000 + x], (y * w + x) * 3);
    const src = path.join(dir, 'ramp16.png');
    await sharp(ramp, { raw: { width: w, height: h, channels: 3 } }).toColourspace('rgb16').withIccProfile('srgb').png().toFile(src);
    const s = await sourceFrom(src);
    expect(s.meta.bitDepth).toBe(16);
    const files = await exportWithPreset(
      s,
      preset([
        image({ format: { format: 'tiff', bitDepth: 'source' }, colour: 'adobe-rgb', naming: { template: '{name}_print' } }),
        image({ format: { format: 'png', bitDepth: 'source' }, colour: 'keep', naming: { template: '{name}_keep' } }),
        image({ format: { format: 'jpeg' }, naming: { template: '{name}_web' } }),
      ]),
      { outRoot: dir },
    );
    const unique = (px: Uint8Array | Uint16Array, c: number) => new Set(Array.from(px).filter((_, i) => i % 3 === c)).size;
    const tif = await storedPixels(files[0]);
    expect((await sharp(files[0]).metadata()).depth).toBe('ushort');
    expect(unique(tif.data, 0)).toBeGreaterThan(800);
    expect(unique(tif.data, 1)).toBeGreaterThan(800);
    const keep = await storedPixels(files[1]);
    expect((await sharp(files[1]).metadata()).depth).toBe('ushort');
    expect(Array.from(keep.data)).toEqual(Array.from((await storedPixels(src)).data));
    expect(unique(keep.data, 0)).toBeGreaterThan(800);
    const jpg = await storedPixels(files[2]);
    expect(unique(jpg.data, 0)).toBeLessThanOrEqual(6);
  });
});

describe('exportWithPreset: size, DPI and watermark', () => {
  it('sets the pixel size and DPI tag from a print size', async () => {
    const dir = await tmpDir();
    const src = await writePhoto(path.join(dir, 'IMG_4.jpg'), solid(60, 40, [100, 100, 100]));
    const files = await exportWithPreset(
      await sourceFrom(src),
      preset([
        image({ format: { format: 'tiff', bitDepth: 8 }, size: { mode: 'print', unit: 'in', width: 2, ppi: 150 } }),
        image({ format: { format: 'jpeg' }, size: { mode: 'print', unit: 'cm', width: 5.08, ppi: 240 } }),
        image({ format: { format: 'png', bitDepth: 8 }, size: { mode: 'longEdge', px: 30 } }),
      ]),
      { outRoot: dir },
    );
    const [t, j, p] = await Promise.all(files.map((f) => sharp(f).metadata()));
    expect([t.width, t.height, t.density]).toEqual([300, 200, 150]);
    expect([j.width, j.height, j.density]).toEqual([480, 320, 240]);
    expect((await readExif(files[1]))?.XResolution).toBe(240);
    // Not a print: the conventional 72 ppi rather than libvips' 25.4 default.
    expect([p.width, p.height, p.density]).toEqual([30, 20, 72]);
  });

  it('places an image watermark where asked', async () => {
    const dir = await tmpDir();
    const mark = path.join(dir, 'mark.png');
    await solid(10, 10, [255, 0, 0]).png().toFile(mark);
    const rgb = floatImage(200, 100, () => 0.5);
    const wm = (position: string) => ({ enabled: true, kind: 'image', imagePath: mark, position, scale: 0.2, opacity: 1, margin: 0.05 });
    const files = await exportWithPreset(
      { rgb, meta: { format: 'png', bitDepth: 8 }, sourcePath: path.join(dir, 'grey.png'), method: 'bicubic', scale: 1 },
      preset([
        image({ format: { format: 'png', bitDepth: 8 }, watermark: wm('bottom-right'), naming: { template: 'br' } }),
        image({ format: { format: 'png', bitDepth: 8 }, watermark: wm('top-left'), naming: { template: 'tl' } }),
        image({ format: { format: 'png', bitDepth: 8 }, watermark: { ...wm('center'), opacity: 0.5 }, naming: { template: 'c' } }),
      ]),
      { outRoot: dir },
    );
    // 40 x 40 px mark (20% of 200), 5 px margin (5% of 100).
    const br = await storedPixels(files[0]);
    expect(pixel(br, 175, 75)).toEqual([255, 0, 0]);
    expect(pixel(br, 156, 56)).toEqual([255, 0, 0]);
    expect(pixel(br, 153, 75)).toEqual([128, 128, 128]);
    expect(pixel(br, 196, 96)).toEqual([128, 128, 128]);
    expect(pixel(br, 20, 20)).toEqual([128, 128, 128]);
    const tl = await storedPixels(files[1]);
    expect(pixel(tl, 20, 20)).toEqual([255, 0, 0]);
    expect(pixel(tl, 175, 75)).toEqual([128, 128, 128]);
    const c = await storedPixels(files[2]);
    const mid = pixel(c, 100, 50);
    expect(mid[0]).toBeGreaterThan(185);
    expect(mid[0]).toBeLessThan(198);
    expect(mid[1]).toBeGreaterThan(58);
    expect(mid[1]).toBeLessThan(70);
  });

  it('draws a text watermark only in its corner', async () => {
    const dir = await tmpDir();
    const rgb = floatImage(300, 200, () => 0.2);
    const [out] = await exportWithPreset(
      { rgb, meta: { format: 'png', bitDepth: 8 }, sourcePath: path.join(dir, 'x.png'), method: 'bicubic', scale: 1 },
      preset([image({ format: { format: 'png', bitDepth: 8 }, watermark: { enabled: true, text: '© Studio', position: 'bottom-left', opacity: 1, scale: 0.3 } })]),
      { outRoot: dir },
    );
    const px = await storedPixels(out);
    let minX = Infinity;
    let maxX = -1;
    let minY = Infinity;
    let maxY = -1;
    for (let y = 0; y < px.height; y++)
      for (let x = 0; x < px.width; x++) {
        if (pixel(px, x, y)[0] > 80) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
        }
      }
    expect(maxX).toBeGreaterThan(0);
    expect(minX).toBeGreaterThanOrEqual(4);
    expect(maxX).toBeLessThan(4 + 90 + 1);
    expect(maxX - minX).toBeGreaterThan(60);
    expect(minY).toBeGreaterThan(100);
    expect(maxY).toBeLessThanOrEqual(196);
  });

  it('carries alpha to PNG and flattens it on white for JPEG', async () => {
    const dir = await tmpDir();
    const rgb = floatImage(10, 10, () => 0);
    const alpha = { width: 10, height: 10, channels: 1 as const, data: new Float32Array(100).fill(0) };
    const files = await exportWithPreset(
      { rgb, alpha, meta: { format: 'png', bitDepth: 8 }, sourcePath: path.join(dir, 'a.png'), method: 'bicubic', scale: 1 },
      preset([image({ format: { format: 'png', bitDepth: 8 } }), image({ format: { format: 'jpeg', quality: 95 } })]),
      { outRoot: dir },
    );
    const png = await storedPixels(files[0]);
    expect(png.channels).toBe(4);
    expect(pixel(png, 5, 5)[3]).toBe(0);
    expect(pixel(await storedPixels(files[1]), 5, 5)[0]).toBeGreaterThan(250);
  });
});

describe('exportWithPreset: deliverables', () => {
  it('writes a web JPEG, a 16-bit Adobe RGB 300 ppi print TIFF and a provenance sidecar in one call', async () => {
    const dir = await tmpDir();
    const dataDir = await tmpDir();
    const src = await writePhoto(path.join(dir, 'IMG_9.jpg'), solid(64, 48, [200, 150, 90]), { icc: 'p3' });
    const store = createPresetStore(dataDir);
    const { preset: delivery } = await store.find('client-delivery-web-print');
    const client = { ...delivery, client: 'Acme' };
    const s = await sourceFrom(src, { method: 'esrgan-thick', scale: 4, backend: 'wasm', settings: { tile: 128 } });
    const date = new Date(2025, 5, 1, 10, 0, 0);
    const files = await exportWithPreset(s, client, { outRoot: path.join(dir, 'out'), date });
    const folder = path.join(dir, 'out', 'Acme', '2025-06-01');
    expect(files).toEqual([path.join(folder, 'IMG_9_web.jpg'), path.join(folder, 'IMG_9_print.tif'), path.join(folder, 'IMG_9_provenance.json')]);

    const web = await sharp(files[0]).metadata();
    expect([web.format, web.depth, web.density]).toEqual(['jpeg', 'uchar', 72]);
    expect(iccDescription(web.icc)).toMatch(/srgb/i);
    expect((await readExif(files[0]))?.GPSLatitude).toBeUndefined();

    const tif = await sharp(files[1]).metadata();
    expect([tif.format, tif.depth, tif.density, tif.width, tif.height]).toEqual(['tiff', 'ushort', 300, 64, 48]);
    expect(tif.icc?.equals(await fs.readFile(presetResource('icc', 'adobe-rgb-1998-compatible.icc')))).toBe(true);
    expect(await readExif(files[1])).toMatchObject({ Make: 'Canon', Copyright: 'Jane Doe Photography', ColorSpace: 0xffff });

    const side = JSON.parse(await fs.readFile(files[2], 'utf8'));
    const srcHash = createHash('sha256').update(await fs.readFile(src)).digest('hex');
    expect(side).toMatchObject({
      schema: 'loupe-studio/provenance@1',
      aiEnhanced: true,
      source: { name: 'IMG_9.jpg', sha256: srcHash, width: 64, height: 48, format: 'jpeg' },
      processing: { method: 'esrgan-thick', model: 'esrgan-thick', scale: 4, backend: 'wasm', settings: { tile: 128 } },
      preset: { id: 'client-delivery-web-print', client: 'Acme' },
      createdAt: date.toISOString(),
    });
    expect(side.outputs.map((o: { path: string }) => o.path)).toEqual(['IMG_9_web.jpg', 'IMG_9_print.tif']);
    const tifHash = createHash('sha256').update(await fs.readFile(files[1])).digest('hex');
    expect(side.outputs[1]).toMatchObject({ sha256: tifHash, bitDepth: 16, ppi: 300, profile: 'Adobe RGB (1998) compatible', format: 'tiff' });
  });

  it('handles collisions across runs: suffix, skip, and XMP sidecars beside images', async () => {
    const dir = await tmpDir();
    const src = await writePhoto(path.join(dir, 'IMG_5.jpg'), solid(20, 20, [10, 200, 10]));
    const s = await sourceFrom(src, { method: 'lanczos' });
    const p = preset([
      image({ format: { format: 'jpeg' }, naming: { template: '{name}', collision: 'suffix' } }),
      image({ format: { format: 'png', bitDepth: 8 }, naming: { template: '{name}', collision: 'skip' } }),
      { kind: 'sidecar', json: false, xmp: true },
    ]);
    const srcBytes = await fs.readFile(src);
    // Into the original's own folder: the JPEG must not replace IMG_5.jpg.
    const first = await exportWithPreset(s, p, { outRoot: dir });
    expect(first.map((f) => path.basename(f))).toEqual(['IMG_5-2.jpg', 'IMG_5.png', 'IMG_5-2.xmp', 'IMG_5.xmp']);
    expect((await fs.readFile(src)).equals(srcBytes)).toBe(true);
    const pngBefore = await fs.readFile(path.join(dir, 'IMG_5.png'));
    const second = await exportWithPreset(s, p, { outRoot: dir });
    expect(second.map((f) => path.basename(f))).toEqual(['IMG_5-3.jpg', 'IMG_5-3.xmp']);
    expect((await fs.readFile(path.join(dir, 'IMG_5.png'))).equals(pngBefore)).toBe(true);
    const xmp = await fs.readFile(second[1], 'utf8');
    expect(xmp).toContain('loupe:AIEnhanced="False"');
    expect(xmp).toContain('loupe:Method="lanczos"');
    expect(xmp).not.toContain('DigitalSourceType');
  });

  it('removes what it wrote when a later output fails', async () => {
    const dir = await tmpDir();
    const rgb = floatImage(20, 20, () => 0.5);
    const out = path.join(dir, 'out');
    await expect(
      exportWithPreset(
        { rgb, meta: { format: 'png', bitDepth: 8 }, sourcePath: path.join(dir, 'x.png'), method: 'bicubic', scale: 1 },
        preset([
          image({ format: { format: 'png', bitDepth: 8 } }),
          image({ format: { format: 'png', bitDepth: 8 }, watermark: { enabled: true, kind: 'image', imagePath: path.join(dir, 'missing.png') }, naming: { template: 'b' } }),
        ]),
        { outRoot: out },
      ),
    ).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    expect(await fs.readdir(out)).toEqual([]);
  });

  it('stops when cancelled', async () => {
    const dir = await tmpDir();
    const ac = new AbortController();
    ac.abort();
    await expect(
      exportWithPreset(
        { rgb: floatImage(4, 4, () => 0.5), meta: { format: 'png', bitDepth: 8 }, sourcePath: path.join(dir, 'x.png'), method: 'bicubic', scale: 1 },
        preset([image({ format: { format: 'png', bitDepth: 8 } })]),
        { outRoot: dir, signal: ac.signal },
      ),
    ).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });
});
