import fs from 'node:fs/promises';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ADOBE_RGB_FILE, profileBytes, sharpProfileName } from '../../../src-main/imaging/render/colour';
import { iccColourSpace, iccDescription } from '../../../src-main/metadata/icc';
import { buildExif, exifForOutput, parseExif, TAG } from '../../../src-main/metadata/exif';
import { ADOBE_RGB_1998, buildMatrixProfile, invert3, rgbToXyzMatrix } from '../../../src-main/metadata/icc-matrix';
import { presetResource } from '../../../src-main/base/resources';
import { CAMERA_EXIF } from './helpers';

describe('Adobe RGB (1998) compatible profile', () => {
  it('is the generator output, byte for byte', async () => {
    const shipped = await fs.readFile(presetResource('icc', ADOBE_RGB_FILE));
    expect(shipped.equals(buildMatrixProfile(ADOBE_RGB_1998))).toBe(true);
    expect(iccColourSpace(shipped)).toBe('RGB ');
    expect(iccDescription(shipped)).toBe('Adobe RGB (1998) compatible');
  });

  it('converts sRGB primaries to the published Adobe RGB values (through lcms)', async () => {
    const px = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 128, 128, 128]);
    const out = await sharp(px, { raw: { width: 5, height: 1, channels: 3 } }).withIccProfile(sharpProfileName('adobe-rgb')).raw().toBuffer();
    const expected = [219, 0, 0, 144, 255, 60, 0, 0, 250, 255, 255, 255, 127, 127, 127];
    Array.from(out).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1));
  });

  it('agrees with the colorimetric formula on a grid of colours', async () => {
    // Reference computed here from the two standards: sRGB decode -> XYZ (D65) -> Adobe RGB.
    const toLin = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const srgb = rgbToXyzMatrix({ red: [0.64, 0.33], green: [0.3, 0.6], blue: [0.15, 0.06], white: [0.3127, 0.329] });
    const adobeInv = invert3(rgbToXyzMatrix(ADOBE_RGB_1998));
    const values = [0, 40, 90, 160, 230];
    const px: number[] = [];
    for (const r of values) for (const g of values) for (const b of values) px.push(r, g, b);
    const n = px.length / 3;
    const out = await sharp(Buffer.from(px), { raw: { width: n, height: 1, channels: 3 } })
      .withIccProfile(sharpProfileName('adobe-rgb'))
      .raw()
      .toBuffer();
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const lin = [toLin(px[i * 3] / 255), toLin(px[i * 3 + 1] / 255), toLin(px[i * 3 + 2] / 255)];
      const xyz = srgb.map((row) => row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]);
      for (let c = 0; c < 3; c++) {
        const a = adobeInv[c][0] * xyz[0] + adobeInv[c][1] * xyz[1] + adobeInv[c][2] * xyz[2];
        const ref = 255 * Math.min(1, Math.max(0, a)) ** (256 / 563);
        worst = Math.max(worst, Math.abs(out[i * 3 + c] - ref));
      }
    }
    expect(worst).toBeLessThan(1.6);
  });

  it('reads back the built-in profiles libvips attaches', async () => {
    expect(iccDescription(await profileBytes('srgb'))).toMatch(/srgb/i);
    expect(iccColourSpace(await profileBytes('display-p3'))).toBe('RGB ');
  });
});

async function cameraBlob(): Promise<Buffer> {
  const jpg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).withExif(CAMERA_EXIF).jpeg().toBuffer();
  const { exif } = await sharp(jpg).metadata();
  if (!exif) throw new Error('no exif');
  return exif;
}

/** Wraps a bare EXIF block in a minimal JPEG so an independent parser (exifr) can read it. */
function jpegWith(block: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), block]);
  const app1 = Buffer.alloc(4);
  app1[0] = 0xff;
  app1[1] = 0xe1;
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, payload, Buffer.from([0xff, 0xd9])]);
}

const parseWithExifr = (block: Buffer) => exifr.parse(jpegWith(block), { tiff: true, exif: true, gps: true, interop: true, translateValues: false }) as Promise<Record<string, unknown>>;

describe('EXIF block filtering', () => {
  it('round-trips every entry through parse and build', async () => {
    const blob = await cameraBlob();
    const doc = parseExif(blob);
    expect(doc).toBeDefined();
    const rebuilt = buildExif(doc!);
    const a = await parseWithExifr(blob.subarray(6));
    const b = await parseWithExifr(rebuilt);
    for (const k of ['Make', 'Model', 'Copyright', 'Artist', 'ExposureTime', 'FNumber', 'ISO', 'GPSLatitude', 'GPSLongitude']) expect(b[k]).toEqual(a[k]);
  });

  it('writes big-endian blocks that parsers read', async () => {
    const doc = parseExif(await cameraBlob())!;
    const be = { ...doc, littleEndian: false };
    // ASCII entries read the same in either byte order; the numeric entries exifForOutput adds
    // (Orientation, ColorSpace, pixel size) are encoded big-endian.
    const out = exifForOutput(buildExif({ ...be, ifd0: be.ifd0.filter((e) => e.type === 2), exif: [], gps: [], interop: [] }), {
      mode: 'all',
      width: 640,
      height: 480,
      srgb: true,
    });
    expect(out!.toString('latin1', 0, 2)).toBe('MM');
    const p = await parseWithExifr(out!);
    expect(p.Make).toBe('Canon');
    expect(p.Orientation).toBe(1);
    expect(p.ExifImageWidth).toBe(640);
    expect(p.ColorSpace).toBe(1);
  });

  it('applies the three metadata modes', async () => {
    const blob = await cameraBlob();
    const base = { width: 100, height: 50, srgb: false };
    const all = await parseWithExifr(exifForOutput(blob, { ...base, mode: 'all' })!);
    expect(all.GPSLatitude).toEqual([48, 51, 24]);
    expect(all.ImageDescription).toBe('At the lake house');
    expect(all.ColorSpace).toBe(0xffff);

    const cam = exifForOutput(blob, { ...base, mode: 'camera-copyright', copyright: '© Studio X' })!;
    const p = await parseWithExifr(cam);
    expect(p.Make).toBe('Canon');
    expect(p.Model).toBe('EOS R5');
    expect(p.ExposureTime).toBeCloseTo(1 / 250);
    expect(p.Copyright).toBe('© Studio X');
    expect(p.Artist).toBe('Jane Doe');
    expect(p.GPSLatitude).toBeUndefined();
    expect(p.ImageDescription).toBeUndefined();
    expect(parseExif(cam)!.gps).toEqual([]);
    expect(cam.includes(Buffer.from('lake house'))).toBe(false);

    expect(exifForOutput(blob, { ...base, mode: 'none' })).toBeUndefined();
    const only = await parseWithExifr(exifForOutput(blob, { ...base, mode: 'none', creator: 'Studio X' })!);
    expect(only.Artist).toBe('Studio X');
    expect(only.Make).toBeUndefined();
    expect(parseExif(blob)!.ifd0.find((e) => e.tag === TAG.Make)).toBeDefined();
  });

  it('tolerates junk', () => {
    expect(parseExif(Buffer.from('not exif at all'))).toBeUndefined();
    const doc = parseExif(Buffer.from([0x49, 0x49, 42, 0, 0xff, 0xff, 0, 0]));
    expect(doc?.ifd0).toEqual([]);
  });

  it('finds the shipped resources', async () => {
    expect(path.isAbsolute(presetResource('builtin'))).toBe(true);
    expect((await fs.readdir(presetResource('builtin'))).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(3);
  });
});
