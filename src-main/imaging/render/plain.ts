// The plain output: the image at full size in its own profile with all its metadata, nothing
// changed but the format. A job's main output, a plain export of a result ("same as the
// result") and encodeImage are this output, rendered by renderOutput like any deliverable.
import type { OutputOptions } from '../../contract/enhance';
import { WatermarkSpec, type FormatSpec, type ImageOutput } from '../../contract/presets';
import type { EncodeFormat } from '../types';

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

const DEFAULT_QUALITY = { jpeg: 92, webp: 90, avif: 70 } as const;

/** What a plain output renders: everything but the look of the pixels is the renderer's business. */
export type RenderSpec = Pick<ImageOutput, 'format' | 'size' | 'colour' | 'metadata' | 'sharpen' | 'watermark' | 'ppi'>;

/** Format settings of a plain output: the request's quality and bit depth ('source' keeps the image's). */
export function plainFormat(format: EncodeFormat, output: Pick<OutputOptions, 'quality' | 'bitDepth'> = {}): FormatSpec {
  const bitDepth = output.bitDepth ?? 'source';
  switch (format) {
    case 'jpeg': {
      const { quality, chromaSubsampling } = jpegOptions(output.quality ?? DEFAULT_QUALITY.jpeg);
      return { format, quality, chromaSubsampling, progressive: false };
    }
    case 'png':
      return { format, bitDepth, compressionLevel: 6 };
    case 'tiff':
      // sharp's TIFF default is JPEG compression; results deserve lossless.
      return { format, bitDepth, compression: 'lzw' };
    case 'webp': {
      const quality = output.quality ?? DEFAULT_QUALITY.webp;
      return { format, quality, lossless: quality >= 100, effort: 4 };
    }
    case 'avif':
      return { format, quality: output.quality ?? DEFAULT_QUALITY.avif, lossless: false, effort: 4 };
  }
}

const NO_WATERMARK = WatermarkSpec.parse({});

/** The plain output in `format`: full size, the image's profile, all metadata, no sharpening or watermark. */
export function plainOutput(format: EncodeFormat, output: Pick<OutputOptions, 'quality' | 'bitDepth'> = {}): RenderSpec {
  return {
    format: plainFormat(format, output),
    size: { mode: 'keep' },
    colour: 'keep',
    metadata: { mode: 'all' },
    sharpen: { target: 'none', amount: 'standard' },
    watermark: NO_WATERMARK,
  };
}
