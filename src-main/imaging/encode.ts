import sharp, { type Sharp } from 'sharp';
import { StudioError } from '../contract/errors';
import { toSample, type FloatImage } from '../contract/image';
import { embedInJpeg, embedInPng } from '../metadata/embed';
import { rawSharp, sampleSpace } from './raw';
import type { EncodeFormat, EncodeOptions } from './types';

export const ENCODE_FORMATS: readonly EncodeFormat[] = ['jpeg', 'png', 'webp', 'avif', 'tiff'];
const DEFAULT_QUALITY: Record<EncodeFormat, number> = { jpeg: 92, webp: 90, avif: 70, png: 100, tiff: 100 };

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

/**
 * Optimised Huffman tables need every DCT coefficient of the image in memory at once (about 6
 * bytes per pixel: 2.2 GB for a 192 MP output, measured); above this size files get a few per
 * cent larger instead.
 */
export const JPEG_OPTIMISE_MAX_PIXELS = 50e6;

/** 4:4:4 at high quality: chroma subsampling blurs the detail an upscale just made. */
export function jpegOptions(quality: number, pixels = 0): { quality: number; chromaSubsampling: '4:4:4' | '4:2:0'; optimiseCoding: boolean } {
  return { quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0', optimiseCoding: pixels <= JPEG_OPTIMISE_MAX_PIXELS };
}

function applyFormat(pipe: Sharp, format: EncodeFormat, quality: number, pixels: number, density?: number): Sharp {
  switch (format) {
    case 'jpeg':
      return pipe.jpeg(jpegOptions(quality, pixels));
    case 'png':
      return pipe.png({ compressionLevel: 6 });
    case 'webp':
      return pipe.webp({ quality, lossless: quality >= 100, alphaQuality: 100 });
    case 'avif':
      return pipe.avif({ quality, effort: 4 });
    case 'tiff':
      // sharp's TIFF default is JPEG compression; originals deserve lossless.
      return pipe.tiff({
        compression: 'lzw',
        predictor: 'horizontal',
        ...(density && density > 0 ? { xres: density / 25.4, yres: density / 25.4, resolutionUnit: 'inch' as const } : {}),
      });
  }
}

/**
 * Encodes float pixels (1 or 3 channels in [0,1], optional separate alpha) to an image file in
 * memory. 16-bit for PNG/TIFF when bitDepth is 16. JPEG has no alpha: it is flattened on white.
 * meta.icc / exif / xmp are embedded unchanged (EXIF orientation reset to 1); density goes to
 * PNG pHYs, JPEG JFIF and TIFF resolution tags (WebP/AVIF have none). TIFF gets no EXIF block.
 */
export async function encodeImage(rgb: FloatImage, opts: EncodeOptions): Promise<Buffer> {
  const { format } = opts;
  checkFormat(format);
  checkImage(rgb, 'image');
  if (opts.alpha) {
    checkImage(opts.alpha, 'alpha');
    if (opts.alpha.width !== rgb.width || opts.alpha.height !== rgb.height || opts.alpha.channels !== 1) {
      throw new StudioError('E_INVALID_ARGUMENT', `alpha ${opts.alpha.width}x${opts.alpha.height}x${opts.alpha.channels} does not fit image ${rgb.width}x${rgb.height}`);
    }
  }
  const wide = opts.bitDepth === 16 && supports16Bit(format);
  const alpha = format === 'jpeg' ? undefined : opts.alpha;
  const channels = rgb.channels + (alpha ? 1 : 0);
  let samples = quantize(rgb, alpha, wide ? 16 : 8);
  if (format === 'jpeg' && opts.alpha) samples = flattenOnWhite(samples as Uint8Array, rgb, opts.alpha);
  return encodeSamples(samples, { width: rgb.width, height: rgb.height, channels }, { format, quality: opts.quality, meta: opts.meta });
}

function checkFormat(format: EncodeFormat): void {
  if (!ENCODE_FORMATS.includes(format)) throw new StudioError('E_UNSUPPORTED_FORMAT', `cannot write '${String(format)}'; use one of ${ENCODE_FORMATS.join(', ')}`);
}

/**
 * Encodes interleaved 8/16-bit samples (1-2 channels grey, 3-4 RGB, alpha last; a Uint16Array
 * is written 16-bit by PNG/TIFF) with the same metadata handling as encodeImage. The samples
 * must already suit the format (JPEG: no alpha; 8-bit for formats without 16-bit).
 */
export async function encodeSamples(
  samplesIn: Uint8Array | Uint16Array,
  size: { width: number; height: number; channels: number },
  opts: Omit<EncodeOptions, 'alpha' | 'bitDepth'>,
): Promise<Buffer> {
  const { format } = opts;
  checkFormat(format);
  const { width, height, channels } = size;
  let samples = samplesIn;
  const wide = samples instanceof Uint16Array;
  if ((wide && !supports16Bit(format)) || (format === 'jpeg' && channels % 2 === 0) || samples.length !== width * height * channels) {
    throw new StudioError('E_INVALID_ARGUMENT', `${width}x${height}x${channels} ${wide ? '16' : '8'}-bit samples (${samples.length}) cannot be written as ${format}`);
  }
  const quality = Math.min(100, Math.max(1, Math.round(opts.quality ?? DEFAULT_QUALITY[format])));
  const meta = opts.meta ?? {};
  const carry = { icc: meta.icc?.length ? meta.icc : undefined, exif: meta.exif?.length ? meta.exif : undefined, density: meta.density };

  // Never sharp's withMetadata(): it attaches (and may convert to) a profile of its own choosing.
  const finish = (pipe: Sharp) => {
    if (meta.xmp?.length) pipe = pipe.withXmp(meta.xmp.toString('utf8'));
    return applyFormat(pipe, format, quality, width * height, meta.density).toBuffer();
  };

  try {
    if (format === 'png') return embedInPng(await finish(rawSharp(samples, width, height, channels)), carry);
    if (format === 'jpeg') return embedInJpeg(await finish(rawSharp(samples, width, height, channels)), carry);
    if (!carry.icc && !carry.exif) return await finish(rawSharp(samples, width, height, channels));
    // Other formats: a stored (uncompressed) PNG carries profile + EXIF into sharp, which copies
    // them over without touching the pixels.
    const carrier = embedInPng(await rawSharp(samples, width, height, channels).png({ compressionLevel: 0 }).toBuffer(), carry);
    samples = new Uint8Array(0);
    let pipe = sharp(carrier, { limitInputPixels: false, ignoreIcc: true }).toColourspace(sampleSpace(wide, channels <= 2));
    if (carry.icc) pipe = pipe.keepIccProfile();
    if (carry.exif) pipe = pipe.keepExif();
    return await finish(pipe);
  } catch (err) {
    if (err instanceof StudioError) throw err;
    throw new StudioError('E_INTERNAL', `encoding ${format} failed: ${(err as Error).message}`);
  }
}

function flattenOnWhite(rgb8: Uint8Array, rgb: FloatImage, alpha: FloatImage): Uint8Array {
  const a = alpha.data;
  const c = rgb.channels;
  const n = rgb.width * rgb.height;
  for (let p = 0; p < n; p++) {
    const t = Math.min(1, Math.max(0, a[p] || 0));
    for (let k = 0; k < c; k++) {
      const i = p * c + k;
      rgb8[i] = Math.floor(rgb8[i] * t + 255 * (1 - t) + 0.5);
    }
  }
  return rgb8;
}
