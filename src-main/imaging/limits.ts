import { StudioError } from '../contract/errors';
import type { ImageLimits } from './types';

// Defaults sized for the float pipeline: a 200 MP RGB output is 2.4 GB of float32.
// 400 MP of output: a 24 MP photo at x4 (384 MP), which classical and pretrained methods write as
// 8-bit rows (about 4 bytes per output pixel); 8x of 24 MP (1.5 GP) is refused.
export const DEFAULT_LIMITS: Readonly<ImageLimits> = Object.freeze({ maxInputMP: 100, maxOutputMP: 400, maxFileMB: 200 });

export function resolveLimits(l?: Partial<ImageLimits>): ImageLimits {
  return { ...DEFAULT_LIMITS, ...(l ?? {}) };
}

const mp = (px: number) => Math.round(px / 1e5) / 10;

export function checkInputPixels(width: number, height: number, limits?: Partial<ImageLimits>): void {
  const { maxInputMP } = resolveLimits(limits);
  const px = width * height;
  if (px > maxInputMP * 1e6) {
    throw new StudioError('E_INPUT_TOO_LARGE', `input is ${width}x${height} (${mp(px)} MP), above the ${maxInputMP} MP limit; raise limits.maxInputMP to allow it`, {
      width,
      height,
      megapixels: mp(px),
      limitMP: maxInputMP,
    });
  }
}

export function checkFileSize(bytes: number, limits?: Partial<ImageLimits>): void {
  const { maxFileMB } = resolveLimits(limits);
  if (bytes > maxFileMB * 2 ** 20) {
    const size = Math.round((bytes / 2 ** 20) * 10) / 10;
    throw new StudioError('E_FILE_TOO_LARGE', `file is ${size} MB, above the ${maxFileMB} MB limit; raise limits.maxFileMB to allow it`, { bytes, limitMB: maxFileMB });
  }
}

/**
 * Refuses an upscale whose result would exceed limits.maxOutputMP, before any work.
 * Output size follows the engine's rule: round(w*scale) x round(h*scale).
 */
export function checkOutputSize(width: number, height: number, scale: number, limits?: Partial<ImageLimits>): { width: number; height: number } {
  const { maxOutputMP } = resolveLimits(limits);
  const out = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  const px = out.width * out.height;
  if (px > maxOutputMP * 1e6) {
    throw new StudioError(
      'E_OUTPUT_TOO_LARGE',
      `output would be ${out.width}x${out.height} (${mp(px)} MP), above the ${maxOutputMP} MP limit; lower the scale or raise limits.maxOutputMP`,
      { width: out.width, height: out.height, megapixels: mp(px), limitMP: maxOutputMP, scale },
    );
  }
  return out;
}
