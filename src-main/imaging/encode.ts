// Float pixels or 8/16-bit samples in memory to an image file in memory: the plain output
// (render/plain.ts) rendered by the one renderer, so these bytes carry the profile, EXIF, XMP
// and DPI exactly as a job's main output and every deliverable do.
import { StudioError } from '../contract/errors';
import { toSample, type FloatImage } from '../contract/image';
import { renderOutput } from './render/deliverable';
import { plainOutput } from './render/plain';
import { rasterOf } from './render/raster';
import { samplesRenderSource } from './render/source';
import type { EncodeFormat, EncodeOptions } from './types';

export { JPEG_OPTIMISE_MAX_PIXELS, jpegOptions } from './render/plain';

export const ENCODE_FORMATS: readonly EncodeFormat[] = ['jpeg', 'png', 'webp', 'avif', 'tiff'];

export function supports16Bit(format: EncodeFormat): boolean {
  return format === 'png' || format === 'tiff';
}

/** The sample depth an output gets: 16 only where the format has it and the request or the source asks for it. */
export function outputDepth(format: EncodeFormat, requested: 8 | 16 | undefined, source: 8 | 16): 8 | 16 {
  return supports16Bit(format) && (requested ?? source) === 16 ? 16 : 8;
}

export function mimeType(format: EncodeFormat): string {
  return format === 'tiff' ? 'image/tiff' : `image/${format}`;
}

/** Float [0,1] (and optional alpha) -> interleaved 8/16-bit samples, rounded half up and clamped. */
export function quantize(rgb: FloatImage, alpha: FloatImage | undefined, depth: 8 | 16): Uint8Array | Uint16Array {
  const n = rgb.width * rgb.height;
  const cc = rgb.channels;
  const c = cc + (alpha ? 1 : 0);
  const max = depth === 16 ? 65535 : 255;
  const out = depth === 16 ? new Uint16Array(n * c) : new Uint8Array(n * c);
  const q = (v: number) => toSample(v, max);
  const src = rgb.data;
  if (!alpha) {
    for (let i = 0; i < n * cc; i++) out[i] = q(src[i]);
    return out;
  }
  const a = alpha.data;
  for (let p = 0, s = 0, d = 0; p < n; p++) {
    for (let k = 0; k < cc; k++) out[d++] = q(src[s++]);
    out[d++] = q(a[p]);
  }
  return out;
}

function checkImage(img: FloatImage, what: string): void {
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || data.length !== width * height * channels) {
    throw new StudioError('E_INVALID_ARGUMENT', `${what}: ${width}x${height}x${channels} does not match ${data.length} samples`);
  }
}

function checkFormat(format: EncodeFormat): void {
  if (!ENCODE_FORMATS.includes(format)) throw new StudioError('E_UNSUPPORTED_FORMAT', `cannot write '${String(format)}'; use one of ${ENCODE_FORMATS.join(', ')}`);
}

/**
 * Encodes float pixels (1 or 3 channels in [0,1], optional separate alpha) to an image file in
 * memory. 16-bit for PNG/TIFF when bitDepth is 16. JPEG has no alpha: it is flattened on white.
 * meta.icc / exif / xmp are carried (EXIF orientation reset to 1) and the density written, as
 * the renderer does for every output; TIFF EXIF needs a file (exportWithPreset writes it).
 */
export async function encodeImage(rgb: FloatImage, opts: EncodeOptions): Promise<Buffer> {
  checkFormat(opts.format);
  checkImage(rgb, 'image');
  if (opts.alpha) {
    checkImage(opts.alpha, 'alpha');
    if (opts.alpha.width !== rgb.width || opts.alpha.height !== rgb.height || opts.alpha.channels !== 1) {
      throw new StudioError('E_INVALID_ARGUMENT', `alpha ${opts.alpha.width}x${opts.alpha.height}x${opts.alpha.channels} does not fit image ${rgb.width}x${rgb.height}`);
    }
  }
  const depth = opts.bitDepth === 16 && supports16Bit(opts.format) ? 16 : 8;
  const samples = quantize(rgb, opts.alpha, depth);
  return encodeSamples(samples, { width: rgb.width, height: rgb.height, channels: rgb.channels + (opts.alpha ? 1 : 0) }, opts);
}

/**
 * Encodes interleaved 8/16-bit samples (1-2 channels grey, 3-4 RGB, alpha last; a Uint16Array
 * is written 16-bit by PNG/TIFF, 8-bit by the others) with the same handling as encodeImage.
 */
export async function encodeSamples(
  samples: Uint8Array | Uint16Array,
  size: { width: number; height: number; channels: number },
  opts: Omit<EncodeOptions, 'alpha' | 'bitDepth'>,
): Promise<Buffer> {
  const { format } = opts;
  checkFormat(format);
  const { width, height, channels } = size;
  if (channels < 1 || channels > 4 || samples.length !== width * height * channels) {
    throw new StudioError('E_INVALID_ARGUMENT', `${width}x${height}x${channels} samples (${samples.length}) cannot be written as ${format}`);
  }
  const pixels = rasterOf({ data: samples, width, height, channels });
  try {
    return (await renderOutput(samplesRenderSource(pixels, opts.meta ?? {}), plainOutput(format, { quality: opts.quality === undefined ? undefined : Math.min(100, Math.max(1, Math.round(opts.quality))) }))).buffer;
  } catch (err) {
    if (err instanceof StudioError) throw err;
    throw new StudioError('E_INTERNAL', `encoding ${format} failed: ${(err as Error).message}`);
  }
}
