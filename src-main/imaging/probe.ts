import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { bareExif } from '../metadata/exif';
import { checkInputPixels, checkOutputSize, resolveLimits } from './limits';
import { loadSource, sharpError, type LoadedSource } from './source';
import type { ImageLimits, ImageMeta, ImageSource } from './types';

export const WIDE_DEPTHS = new Set(['ushort', 'short', 'uint', 'int', 'float', 'double', 'complex', 'dpcomplex']);
const GRAY_SPACES = new Set(['b-w', 'grey16']);

export function sharpOptions(limits: ImageLimits): SharpOptions {
  // 'error' refuses cut-off and damaged files but tolerates the harmless warnings many camera
  // JPEGs raise ('truncated' lets a cut JPEG-compressed TIFF through).
  return { failOn: 'error', limitInputPixels: Math.max(1, Math.floor(limits.maxInputMP * 1e6)), pages: 1, page: 0 };
}

export function metaFrom(md: Metadata, src: LoadedSource): ImageMeta {
  const orientation = md.orientation && md.orientation >= 1 && md.orientation <= 8 ? md.orientation : 1;
  const rawW = md.width;
  const rawH = md.pageHeight && md.pages && md.pages > 1 ? md.pageHeight : md.height;
  const swap = orientation >= 5;
  const meta: ImageMeta = {
    format: src.format,
    width: swap ? rawH : rawW,
    height: swap ? rawW : rawH,
    bitDepth: WIDE_DEPTHS.has(md.depth) || (md.bitsPerSample ?? 8) > 8 ? 16 : 8,
    channels: GRAY_SPACES.has(md.space) && !md.isPalette ? 1 : 3,
    hasAlpha: md.hasAlpha,
    orientation,
    bytes: src.bytes,
    pages: md.pages ?? 1,
  };
  if (md.icc?.length) meta.icc = md.icc;
  const exif = md.exif && md.exif.length >= 8 ? bareExif(md.exif) : undefined;
  if (exif) meta.exif = exif;
  if (md.xmp?.length) meta.xmp = md.xmp;
  if (md.density) meta.density = md.density;
  return meta;
}

/**
 * The first step of probe, decode and preview: the source loaded (mode 'head': only a file's first
 * bytes, sharp reads the rest itself) and its header read, with libvips errors coded.
 */
export async function readHeader(src: ImageSource, limits: Partial<ImageLimits> | undefined, mode: 'full' | 'head'): Promise<{ lim: ImageLimits; loaded: LoadedSource; md: Metadata; meta: ImageMeta }> {
  const lim = resolveLimits(limits);
  const loaded = await loadSource(src, lim, mode);
  let md: Metadata;
  try {
    md = await sharp(loaded.input, { ...sharpOptions(lim), limitInputPixels: false }).metadata();
  } catch (err) {
    throw sharpError(err, loaded.name);
  }
  return { lim, loaded, md, meta: metaFrom(md, loaded) };
}

/**
 * Header-only look at an image: format, upright size, depth, alpha, orientation, metadata.
 * Reads only the first bytes of a file for format detection; throws coded errors for missing,
 * empty, oversized (file bytes) and non-image files. With `limits`, also checks input pixels.
 */
export async function probeImage(src: ImageSource, limits?: Partial<ImageLimits>): Promise<ImageMeta> {
  const { lim, meta } = await readHeader(src, limits, 'head');
  if (limits) checkInputPixels(meta.width, meta.height, lim);
  return meta;
}

/**
 * The one admission check every door uses (uploads, the web demo, library imports, every job):
 * from the header only, before a pixel is decoded, the format, the file size and the input
 * pixels against `limits`, and the output pixels when a `scale` is given. Coded errors.
 */
export async function admitImage(src: ImageSource, limits: Partial<ImageLimits>, scale?: number): Promise<ImageMeta> {
  const meta = await probeImage(src, limits);
  if (scale !== undefined) checkOutputSize(meta.width, meta.height, scale, limits);
  return meta;
}
