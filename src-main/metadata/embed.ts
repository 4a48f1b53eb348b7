// Embedding an ICC profile, an EXIF block (as exif.ts prepares it) and the DPI into encoded PNG
// and JPEG files. sharp attaches a profile only by converting pixels into it; the studio keeps
// pixels in the original's space, so the profile is written as is.
import zlib from 'node:zlib';

export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** An iCCP chunk: the profile stored as it is (deflated) under `name`. */
export function iccpChunk(icc: Buffer, name: string): Buffer {
  return pngChunk('iCCP', Buffer.concat([Buffer.from(`${name}\0\0`, 'latin1'), zlib.deflateSync(icc)]));
}

/** `png` without its chunks of the types in `drop`, with `added` chunks right after IHDR. */
export function splicePng(png: Buffer, drop: ReadonlySet<string>, added: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [png.subarray(0, 8)];
  for (let o = 8; o + 12 <= png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const end = o + 12 + len;
    if (!drop.has(type)) parts.push(png.subarray(o, end));
    if (type === 'IHDR') parts.push(...added);
    o = end;
  }
  return Buffer.concat(parts);
}

export interface Embedded {
  icc?: Buffer;
  exif?: Buffer;
  /** Pixels per inch. */
  density?: number;
}

const DROP_PNG = new Set(['iCCP', 'sRGB', 'gAMA', 'cHRM', 'eXIf', 'pHYs']);

/** PNG with iCCP, eXIf and pHYs chunks right after IHDR, replacing any colour/EXIF/density chunks sharp wrote. */
export function embedInPng(png: Buffer, meta: Embedded): Buffer {
  const added: Buffer[] = [];
  if (meta.icc) added.push(iccpChunk(meta.icc, 'ICC Profile'));
  if (meta.exif) added.push(pngChunk('eXIf', meta.exif));
  if (meta.density && meta.density > 0) {
    const phys = Buffer.alloc(9);
    const ppm = Math.round(meta.density / 0.0254);
    phys.writeUInt32BE(ppm, 0);
    phys.writeUInt32BE(ppm, 4);
    phys[8] = 1; // unit: metre
    added.push(pngChunk('pHYs', phys));
  }
  return splicePng(png, DROP_PNG, added);
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = 0xff;
  h[1] = marker;
  h.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([h, payload]);
}

const ICC_SIG = Buffer.from('ICC_PROFILE\0', 'latin1');
const EXIF_SIG = Buffer.from('Exif\0\0', 'latin1');
const ICC_CHUNK = 65519; // 65535 - 2 (length) - 12 (signature) - 2 (sequence numbers)

function jfif(dpi: number): Buffer {
  const d = Math.max(1, Math.min(65535, Math.round(dpi)));
  const p = Buffer.alloc(14);
  p.write('JFIF\0', 0, 'latin1');
  p[5] = 1;
  p[6] = 2; // version 1.02
  p[7] = 1; // units: dots per inch
  p.writeUInt16BE(d, 8);
  p.writeUInt16BE(d, 10);
  return jpegSegment(0xe0, p);
}

/** JPEG with JFIF density, an APP1 Exif segment and APP2 ICC_PROFILE segments after SOI. */
export function embedInJpeg(jpg: Buffer, meta: Embedded): Buffer {
  if (!meta.icc && !meta.exif && !meta.density) return jpg;
  if (jpg[0] !== 0xff || jpg[1] !== 0xd8) return jpg;
  const keep: Buffer[] = [];
  let o = 2;
  // Keep APP0 (JFIF) first; drop existing EXIF/ICC segments; stop at the first non-APP marker.
  while (o + 4 <= jpg.length && jpg[o] === 0xff && jpg[o + 1] >= 0xe0 && jpg[o + 1] <= 0xef) {
    const end = o + 2 + jpg.readUInt16BE(o + 2);
    const seg = jpg.subarray(o, end);
    const isExif = jpg[o + 1] === 0xe1 && seg.subarray(4, 10).equals(EXIF_SIG);
    const isIcc = jpg[o + 1] === 0xe2 && seg.subarray(4, 16).equals(ICC_SIG);
    if (!isExif && !isIcc) keep.push(seg);
    o = end;
  }
  const app0 = meta.density && meta.density > 0 ? [jfif(meta.density)] : keep.filter((s) => s[1] === 0xe0);
  const others = keep.filter((s) => s[1] !== 0xe0);
  const added: Buffer[] = [];
  if (meta.exif) {
    const exif = Buffer.concat([EXIF_SIG, meta.exif]);
    if (exif.length <= 65533) added.push(jpegSegment(0xe1, exif));
  }
  if (meta.icc) {
    const n = Math.ceil(meta.icc.length / ICC_CHUNK);
    if (n <= 255) {
      for (let i = 0; i < n; i++) {
        const part = meta.icc.subarray(i * ICC_CHUNK, (i + 1) * ICC_CHUNK);
        added.push(jpegSegment(0xe2, Buffer.concat([ICC_SIG, Buffer.from([i + 1, n]), part])));
      }
    }
  }
  return Buffer.concat([jpg.subarray(0, 2), ...app0, ...added, ...others, jpg.subarray(o)]);
}
