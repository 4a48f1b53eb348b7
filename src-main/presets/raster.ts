// 16-bit interleaved rasters passed between the export passes, and the PNG "carrier" that takes
// pixels plus an ICC profile and EXIF block into sharp without converting the pixels (sharp can
// only attach a profile by converting into it).
import zlib from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import type { FloatImage } from '../contract/image';

export interface Raster16 {
  width: number;
  height: number;
  /** Colour channels (1 grey or 3 RGB), alpha not counted. */
  colour: 1 | 3;
  alpha: boolean;
  data: Uint16Array;
}

export const channelsOf = (r: Pick<Raster16, 'colour' | 'alpha'>) => r.colour + (r.alpha ? 1 : 0);

/** Float [0,1] -> 16-bit, rounded and clamped; grey is replicated to RGB when `rgb` is asked. */
export function toRaster16(rgb: FloatImage, alpha: FloatImage | undefined, rgbOut: boolean): Raster16 {
  const n = rgb.width * rgb.height;
  const colour: 1 | 3 = rgbOut ? 3 : rgb.channels;
  const c = colour + (alpha ? 1 : 0);
  const out = new Uint16Array(n * c);
  const q = (v: number) => {
    const x = Math.floor(v * 65535 + 0.5);
    return x > 0 ? (x < 65535 ? x : 65535) : 0; // NaN -> 0
  };
  const src = rgb.data;
  const a = alpha?.data;
  for (let p = 0, d = 0; p < n; p++) {
    if (rgb.channels === 3) {
      out[d++] = q(src[p * 3]);
      out[d++] = q(src[p * 3 + 1]);
      out[d++] = q(src[p * 3 + 2]);
    } else {
      const g = q(src[p]);
      for (let k = 0; k < colour; k++) out[d++] = g;
    }
    if (a) out[d++] = q(a[p]);
  }
  return { width: rgb.width, height: rgb.height, colour, alpha: !!alpha, data: out };
}

/** 16 -> 8 bit with rounding (libvips' own cast truncates, darkening by half a level). */
export function to8bit(data: Uint16Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.floor((data[i] * 255) / 65535 + 0.5);
  return out;
}

/** Drops alpha by compositing on white (for JPEG). */
export function flattenOnWhite(r: Raster16): Raster16 {
  if (!r.alpha) return r;
  const n = r.width * r.height;
  const c = r.colour;
  const out = new Uint16Array(n * c);
  for (let p = 0; p < n; p++) {
    const t = r.data[p * (c + 1) + c] / 65535;
    for (let k = 0; k < c; k++) out[p * c + k] = Math.round(r.data[p * (c + 1) + k] * t + 65535 * (1 - t));
  }
  return { ...r, alpha: false, data: out };
}

export function rawSharp(data: Uint8Array | Uint16Array, width: number, height: number, channels: number): Sharp {
  const wide = data instanceof Uint16Array;
  const grey = channels <= 2;
  return sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 }, limitInputPixels: false }).toColourspace(
    wide ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb',
  );
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

const COLOUR_CHUNKS = new Set(['iCCP', 'sRGB', 'gAMA', 'cHRM', 'eXIf']);

/** A stored (uncompressed) PNG of the pixels with the given profile and EXIF block embedded. */
export async function carrierPng(data: Uint8Array | Uint16Array, width: number, height: number, channels: number, meta: { icc?: Buffer; exif?: Buffer }): Promise<Buffer> {
  const png = await rawSharp(data, width, height, channels).png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
  const parts: Buffer[] = [png.subarray(0, 8)];
  for (let o = 8; o + 12 <= png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const end = o + 12 + len;
    if (!COLOUR_CHUNKS.has(type)) parts.push(png.subarray(o, end));
    if (type === 'IHDR') {
      if (meta.icc) parts.push(pngChunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), zlib.deflateSync(meta.icc)])));
      if (meta.exif) parts.push(pngChunk('eXIf', meta.exif));
    }
    o = end;
  }
  return Buffer.concat(parts);
}
