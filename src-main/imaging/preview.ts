import sharp from 'sharp';
import { jpegOptions } from './encode';
import { checkInputPixels } from './limits';
import { readHeader, sharpOptions } from './probe';
import { sharpError } from './source';
import type { ImageLimits, ImageSource } from './types';

export interface PreviewOptions {
  /** Longest side in pixels (never enlarged). Default 1024. */
  maxSide?: number;
  format?: 'jpeg' | 'webp' | 'png';
  quality?: number;
  limits?: Partial<ImageLimits>;
}

/**
 * Small upright sRGB 8-bit rendition for screens (library thumbnails, before/after views):
 * EXIF orientation applied, embedded profile converted to sRGB, alpha flattened for JPEG.
 */
export async function renderPreview(src: ImageSource, opts: PreviewOptions = {}): Promise<Buffer> {
  const { lim, loaded, meta } = await readHeader(src, opts.limits, 'full');
  checkInputPixels(meta.width, meta.height, lim);
  const maxSide = Math.max(1, Math.min(16384, Math.round(opts.maxSide ?? 1024)));
  const format = opts.format ?? 'jpeg';
  const quality = opts.quality ?? 82;
  try {
    let pipe = sharp(loaded.input, { ...sharpOptions(lim), autoOrient: true })
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb');
    if (format === 'jpeg') pipe = pipe.flatten({ background: '#ffffff' }).jpeg(jpegOptions(quality));
    else if (format === 'webp') pipe = pipe.webp({ quality });
    else pipe = pipe.png();
    return await pipe.toBuffer();
  } catch (err) {
    throw sharpError(err, loaded.name);
  }
}

/** The upright region `rect` of an image (already admitted: limits are the caller's), written as PNG to `file`. */
export async function cropToPng(src: ImageSource, rect: { x: number; y: number; width: number; height: number }, file: string): Promise<void> {
  const { lim, loaded } = await readHeader(src, undefined, 'full');
  try {
    await sharp(loaded.input, { ...sharpOptions(lim), autoOrient: true }).extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height }).png().toFile(file);
  } catch (err) {
    throw sharpError(err, loaded.name);
  }
}
