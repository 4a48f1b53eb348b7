import type { FloatImage } from '../contract/image';

/** Formats the studio reads. HEIC only where libvips has an HEVC decoder (refused with a clear message otherwise). */
export type InputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'tiff' | 'gif' | 'heic';
export type EncodeFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'tiff';

export interface ImageMeta {
  format: InputFormat;
  /** Size after EXIF orientation is applied (what the user sees, and what decodeImage returns). */
  width: number;
  height: number;
  /** 16 when the file stores more than 8 bits per sample (PNG/TIFF 16-bit). */
  bitDepth: 8 | 16;
  /** 1 for grayscale, 3 for colour (alpha not counted). */
  channels: 1 | 3;
  hasAlpha: boolean;
  /** EXIF orientation of the file (1-8; 1 when absent). Decoded pixels are already upright. */
  orientation: number;
  /** Embedded ICC profile; decoded pixels are left in this profile's space (never converted). */
  icc?: Buffer;
  /** Raw EXIF block (TIFF structure, as in a JPEG APP1 after "Exif\0\0"). */
  exif?: Buffer;
  xmp?: Buffer;
  /** Pixels per inch, when the file says. */
  density?: number;
  /** File size in bytes. */
  bytes: number;
  /** Frames in the file (animated GIF/WebP, multi-page TIFF); only the first is decoded. */
  pages: number;
  /** What decoding found wrong but could live with (damaged data, an unusable profile), for the user. */
  warnings?: string[];
}

export interface DecodedImage {
  rgb: FloatImage;
  /** Alpha as a 1-channel FloatImage, upscaled separately from the colour. */
  alpha?: FloatImage;
  meta: ImageMeta;
}

export interface ImageLimits {
  /** Largest input in megapixels (decompression-bomb guard, checked from the header before decoding). */
  maxInputMP: number;
  /** Largest output in megapixels, checked before any work. */
  maxOutputMP: number;
  /** Largest input file in MiB. */
  maxFileMB: number;
}

/** What encodeImage carries from the original. */
export type CarriedMeta = Pick<Partial<ImageMeta>, 'icc' | 'exif' | 'xmp' | 'density'>;

export interface EncodeOptions {
  format: EncodeFormat;
  /** 1-100 for JPEG/WebP/AVIF (defaults 92/90/70); ignored by PNG/TIFF. */
  quality?: number;
  /** 16 is honoured by PNG and TIFF; other formats are 8-bit. Default 8. */
  bitDepth?: 8 | 16;
  alpha?: FloatImage;
  /** ICC profile, EXIF, XMP and density to embed (EXIF orientation is reset to 1: pixels are upright). */
  meta?: CarriedMeta;
}

export type ImageSource = string | Buffer | Uint8Array;
