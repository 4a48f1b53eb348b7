import sharp, { type OutputInfo } from 'sharp';
import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';
import { checkInputPixels } from './limits';
import { readHeader, sharpOptions } from './probe';
import { sampleSpace } from './raw';
import { iccUsable } from './icc-check';
import { sharpError } from './source';
import type { DecodedImage, ImageLimits, ImageMeta, ImageSource } from './types';

// Lookup tables: sample -> float32 in [0,1], built once per depth.
const LUT = new Map<number, Float32Array>();
function lut(max: number): Float32Array {
  let t = LUT.get(max);
  if (!t) {
    t = new Float32Array(max + 1);
    for (let i = 0; i <= max; i++) t[i] = i / max;
    LUT.set(max, t);
  }
  return t;
}

// Colour spaces whose numbers can go to the engine as they are (any embedded profile is kept
// and re-attached on encode); anything else (CMYK, Lab...) is converted to sRGB on decode.
const KEEP_SPACES = new Set(['srgb', 'rgb', 'rgb16', 'b-w', 'grey16', 'scrgb']);

/** Upright interleaved samples as decoded (grey or RGB, alpha last if any) with the file's metadata. */
export interface DecodedSamples {
  samples: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGB + alpha. */
  channels: number;
  /** channels/hasAlpha describe the samples; bitDepth 16 means Uint16Array. */
  meta: ImageMeta;
}

/**
 * The first frame as 8/16-bit samples, oriented, in the numbers the engine works on: for
 * resampling that needs no float copy (classical methods on big photos). Same checks and coded
 * errors as decodeImage.
 */
export async function decodeSamples(src: ImageSource, limits?: Partial<ImageLimits>): Promise<DecodedSamples> {
  const { lim, loaded, md, meta } = await readHeader(src, limits, 'full');
  checkInputPixels(meta.width, meta.height, lim);

  const keep = KEEP_SPACES.has(md.space);
  const wide = meta.bitDepth === 16;
  const gray = keep && meta.channels === 1;
  // sharp's raw output of a b-w image keeps only its first band: grey + alpha is read as RGBA
  // (the grey copied into R, G and B) and the grey and alpha samples taken from that below.
  const greyAlpha = gray && meta.hasAlpha;
  const pipe = (failOn: 'warning' | 'error') =>
    sharp(loaded.input, { ...sharpOptions(lim), failOn, autoOrient: true, ignoreIcc: keep })
      .toColourspace(sampleSpace(wide, gray && !greyAlpha))
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  const warnings: string[] = [];
  if (!keep) {
    delete meta.icc; // pixels are sRGB now; the source profile no longer describes them
    meta.channels = 3;
  } else if (meta.icc && !(await iccUsable(meta.icc))) {
    delete meta.icc;
    warnings.push(`${loaded.name}: its colour profile is damaged and was left out of the output (colours are read as sRGB)`);
  }
  let data: Buffer;
  let info: OutputInfo;
  try {
    // Strict first: damage the decoder can live with still gets a word to the user.
    ({ data, info } = await pipe('warning'));
  } catch (strict) {
    try {
      ({ data, info } = await pipe('error'));
    } catch (err) {
      throw sharpError(err, loaded.name);
    }
    warnings.push(`${loaded.name}: part of the image data is damaged (${(strict as Error).message.split('\n')[0]}); the picture may show it`);
  }
  if (warnings.length) meta.warnings = warnings;
  const { width, height } = info;
  let { channels } = info;
  let samples: Uint8Array | Uint16Array;
  if (wide) {
    const copy = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
    samples = new Uint16Array(copy.buffer, copy.byteOffset, (width * height * channels));
  } else {
    samples = data;
  }
  if (greyAlpha && channels === 4) {
    const ga = wide ? new Uint16Array(width * height * 2) : new Uint8Array(width * height * 2);
    for (let p = 0, s = 0, d = 0; p < width * height; p++, s += 4) {
      ga[d++] = samples[s];
      ga[d++] = samples[s + 3];
    }
    samples = ga;
    channels = 2;
  }
  if (samples.length < width * height * channels || channels < 1 || channels > 4) {
    throw new StudioError('E_CORRUPT_IMAGE', `${loaded.name}: decoder returned ${channels} channels / ${samples.length} samples for ${width}x${height}`);
  }
  meta.width = width;
  meta.height = height;
  meta.channels = channels <= 2 ? 1 : 3;
  meta.hasAlpha = channels === 2 || channels === 4;
  return { samples, width, height, channels, meta };
}

/**
 * Decodes the first frame of an image to upright float pixels in [0,1]: 1 channel for
 * grayscale, 3 for colour, alpha split off. 16-bit files keep 16-bit precision.
 * Coded errors: E_FILE_NOT_FOUND, E_EMPTY_FILE, E_FILE_TOO_LARGE, E_UNSUPPORTED_FORMAT,
 * E_INPUT_TOO_LARGE (from the header, before decoding), E_CORRUPT_IMAGE.
 */
export async function decodeImage(src: ImageSource, limits?: Partial<ImageLimits>): Promise<DecodedImage> {
  const { samples, width, height, meta } = await decodeSamples(src, limits);
  const table = lut(samples instanceof Uint16Array ? 65535 : 255);
  const cc = meta.channels;
  const n = width * height;
  const rgb: FloatImage = { width, height, channels: cc, data: new Float32Array(n * cc) };
  const alpha: FloatImage | undefined = meta.hasAlpha ? { width, height, channels: 1, data: new Float32Array(n) } : undefined;
  const rd = rgb.data;
  if (!alpha) {
    for (let i = 0; i < n * cc; i++) rd[i] = table[samples[i]];
  } else {
    const ad = alpha.data;
    for (let p = 0, s = 0, d = 0; p < n; p++) {
      for (let c = 0; c < cc; c++) rd[d++] = table[samples[s++]];
      ad[p] = table[samples[s++]];
    }
  }
  return alpha ? { rgb, alpha, meta } : { rgb, meta };
}
