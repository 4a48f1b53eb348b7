import sharp from 'sharp';
import { checkInputPixels, resolveLimits } from './limits';
import { metaFrom, sharpOptions } from './probe';
import { loadSource, sharpError } from './source';
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
  const lim = resolveLimits(opts.limits);
  const loaded = await loadSource(src, lim, 'full');
  const maxSide = Math.max(1, Math.min(16384, Math.round(opts.maxSide ?? 1024)));
  const format = opts.format ?? 'jpeg';
  const quality = opts.quality ?? 82;
  try {
    const md = await sharp(loaded.input, { ...sharpOptions(lim), limitInputPixels: false }).metadata();
    const meta = metaFrom(md, loaded);
    checkInputPixels(meta.width, meta.height, lim);
    let pipe = sharp(loaded.input, { ...sharpOptions(lim), autoOrient: true })
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb');
    if (format === 'jpeg') pipe = pipe.flatten({ background: '#ffffff' }).jpeg({ quality });
    else if (format === 'webp') pipe = pipe.webp({ quality });
    else pipe = pipe.png();
    return await pipe.toBuffer();
  } catch (err) {
    throw sharpError(err, loaded.name);
  }
}
