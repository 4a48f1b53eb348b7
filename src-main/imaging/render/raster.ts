// Interleaved rasters passed between the export passes, and the PNG "carrier" that takes pixels
// plus an ICC profile and EXIF block into sharp without converting the pixels (sharp can only
// attach a profile by converting into it).
import type { FloatImage } from '../../contract/image';
import { iccpChunk, pngChunk, splicePng } from '../../metadata/embed';
import { rawSharp } from '../raw';

export interface Raster<D extends Uint8Array | Uint16Array = Uint8Array | Uint16Array> {
  width: number;
  height: number;
  /** Colour channels (1 grey or 3 RGB), alpha not counted. */
  colour: 1 | 3;
  alpha: boolean;
  /** 8-bit samples in a Uint8Array, 16-bit in a Uint16Array. */
  data: D;
}

export type Raster16 = Raster<Uint16Array>;

export const channelsOf = (r: Pick<Raster, 'colour' | 'alpha'>) => r.colour + (r.alpha ? 1 : 0);

/** Interleaved samples of 1-2 (grey, alpha last) or 3-4 (RGB, alpha last) channels as a raster. */
export function rasterOf<D extends Uint8Array | Uint16Array>(s: { data: D; width: number; height: number; channels: number }): Raster<D> {
  return { width: s.width, height: s.height, colour: s.channels <= 2 ? 1 : 3, alpha: s.channels % 2 === 0, data: s.data };
}

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

/** The raster's samples at `depth`: as they are when they already have it (no copy). */
export function atDepth(data: Uint8Array | Uint16Array, depth: 8 | 16): Uint8Array | Uint16Array {
  if (data instanceof Uint16Array) return depth === 16 ? data : to8bit(data);
  if (depth === 8) return data;
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * 257;
  return out;
}

/** Drops alpha by compositing on white (for JPEG), at the raster's own depth. */
export function flattenOnWhite<D extends Uint8Array | Uint16Array>(r: Raster<D>): Raster<D> {
  if (!r.alpha) return r;
  const n = r.width * r.height;
  const c = r.colour;
  const max = r.data instanceof Uint16Array ? 65535 : 255;
  const out = (r.data instanceof Uint16Array ? new Uint16Array(n * c) : new Uint8Array(n * c)) as D;
  for (let p = 0; p < n; p++) {
    const t = r.data[p * (c + 1) + c] / max;
    for (let k = 0; k < c; k++) out[p * c + k] = Math.round(r.data[p * (c + 1) + k] * t + max * (1 - t));
  }
  return { ...r, alpha: false, data: out };
}

const COLOUR_CHUNKS = new Set(['iCCP', 'sRGB', 'gAMA', 'cHRM', 'eXIf']);

/** A stored (uncompressed) PNG of the pixels with the given profile and EXIF block embedded. */
export async function carrierPng(data: Uint8Array | Uint16Array, width: number, height: number, channels: number, meta: { icc?: Buffer; exif?: Buffer }): Promise<Buffer> {
  const png = await rawSharp(data, width, height, channels).png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
  const added: Buffer[] = [];
  if (meta.icc) added.push(iccpChunk(meta.icc, 'icc'));
  if (meta.exif) added.push(pngChunk('eXIf', meta.exif));
  return splicePng(png, COLOUR_CHUNKS, added);
}
