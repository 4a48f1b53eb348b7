// Images for an <img> (Electron's studio-media:// protocol and the HTTP /media route): the files
// a browser shows as they are, and an upright 8-bit rendition of everything else.
import { imageTypeOf } from '../base/image-types';
import { renderPreview } from './preview';
import { probeImage } from './probe';
import type { ImageLimits } from './types';

/** The Content-Type to send `file` as it is with, or undefined when it needs rendering. */
export function passthroughType(file: string): string | undefined {
  const t = imageTypeOf(file);
  return t?.browserNative ? t.mime : undefined;
}

export interface ScreenImage {
  body: Buffer;
  type: string;
}

// Anything the studio itself wrote must be viewable: outputs may be far above the input limits
// (up to the settings' maxOutputMP), so only a bomb-sized picture is refused here.
const SCREEN_LIMITS: Partial<ImageLimits> = { maxInputMP: 1000, maxFileMB: Number.POSITIVE_INFINITY };
/** Full size is still bounded: a browser never gets more than this on a side. */
const FULL_SIDE = 16384;

/**
 * Upright sRGB 8-bit rendition of `file` no larger than `maxSide` (full size when undefined):
 * PNG when it has transparency, JPEG otherwise (thumbnails smaller, 4:2:0).
 */
export async function renderForScreen(file: string, maxSide: number | undefined, thumb: boolean): Promise<ScreenImage> {
  const { hasAlpha } = await probeImage(file, SCREEN_LIMITS);
  const body = await renderPreview(file, { maxSide: maxSide ?? FULL_SIDE, format: hasAlpha ? 'png' : 'jpeg', quality: thumb ? 82 : 92, limits: SCREEN_LIMITS });
  return { body, type: hasAlpha ? 'image/png' : 'image/jpeg' };
}
