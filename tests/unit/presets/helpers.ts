// Small real images for the preset tests, made with sharp (EXIF, GPS, ICC, orientation).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import sharp, { type Sharp } from 'sharp';
import type { FloatImage } from '../../../src-main/contract/image';
import { decodeImage } from '../../../src-main/imaging';
import type { ExportSource } from '../../../src-main/presets';

export async function tmpDir(prefix = 'studio-presets-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export const CAMERA_EXIF = {
  IFD0: { Make: 'Canon', Model: 'EOS R5', Copyright: 'Jane Doe Photography', Artist: 'Jane Doe', ImageDescription: 'At the lake house' },
  IFD2: { DateTimeOriginal: '2024:05:06 07:08:09', ExposureTime: '1/250', FNumber: '28/10', ISOSpeedRatings: '400' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 0/1' },
};

/** Writes `pipe` as a JPEG with camera EXIF + GPS, an optional orientation and ICC profile. */
export async function writePhoto(file: string, pipe: Sharp, opts: { orientation?: number; icc?: string; quality?: number } = {}): Promise<string> {
  let p = pipe.withExif(CAMERA_EXIF);
  if (opts.icc) p = p.withIccProfile(opts.icc);
  // libvips writes Orientation from its own field, not from withExif: set it this way.
  if (opts.orientation) p = p.withMetadata({ orientation: opts.orientation });
  await p.jpeg({ quality: opts.quality ?? 95, chromaSubsampling: '4:4:4' }).toFile(file);
  return file;
}

export function solid(width: number, height: number, rgb: [number, number, number]): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

/** Decoded like the worker does it, as exportWithPreset's source. */
export async function sourceFrom(file: string, extra: Partial<ExportSource> = {}): Promise<ExportSource> {
  const d = await decodeImage(file);
  return { rgb: d.rgb, ...(d.alpha ? { alpha: d.alpha } : {}), meta: d.meta, sourcePath: file, method: 'esrgan-slim', scale: 1, backend: 'cpu', ...extra };
}

export function floatImage(width: number, height: number, fill: (x: number, y: number, c: number) => number): FloatImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = fill(x, y, c);
  return { width, height, channels: 3, data };
}

export interface ParsedExif {
  [tag: string]: unknown;
}

const EXIFR_OPTIONS: Parameters<typeof exifr.parse>[1] = { tiff: true, exif: true, gps: true, interop: true, translateValues: false, reviveValues: false };

/** Parsed EXIF of a file. exifr cannot open WebP, so its EXIF block is read by sharp and parsed. */
export async function readExif(file: string): Promise<ParsedExif | undefined> {
  if (file.endsWith('.webp')) {
    const { exif } = await sharp(file).metadata();
    return exif ? ((await exifr.parse(jpegWithExif(exif), EXIFR_OPTIONS)) as ParsedExif) : undefined;
  }
  return (await exifr.parse(file, EXIFR_OPTIONS)) as ParsedExif | undefined;
}

/** A minimal JPEG holding only an APP1 EXIF block (with or without its Exif prefix). */
export function jpegWithExif(block: Buffer): Buffer {
  const prefix = Buffer.from('Exif\0\0', 'latin1');
  const payload = block.subarray(0, 6).equals(prefix) ? block : Buffer.concat([prefix, block]);
  const app1 = Buffer.alloc(4);
  app1[0] = 0xff;
  app1[1] = 0xe1;
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, payload, Buffer.from([0xff, 0xd9])]);
}

/** Pixels exactly as stored (no colour conversion), 8 or 16 bits. */
export async function storedPixels(file: string): Promise<{ data: Uint8Array | Uint16Array; width: number; height: number; channels: number }> {
  const m = await sharp(file).metadata();
  const wide = m.depth === 'ushort';
  const { data, info } = await sharp(file, { ignoreIcc: true })
    .toColourspace(wide ? 'rgb16' : 'srgb')
    .raw({ depth: wide ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const px = wide ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { data: px, width: info.width, height: info.height, channels: info.channels };
}

export function pixel(img: { data: Uint8Array | Uint16Array; width: number; channels: number }, x: number, y: number): number[] {
  const i = (y * img.width + x) * img.channels;
  return Array.from(img.data.subarray(i, i + img.channels));
}
