import { StudioError } from '../contract/errors';
import type { Plane } from './plane';

/** MATLAB's conversion to uint8: round half up, clamp to 0-255. */
export function roundU8(x: number): number {
  const r = Math.floor(x + 0.5);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * The SR protocol's Y channel: the image as uint8 (0-255), then MATLAB rgb2ycbcr's BT.601 luma
 * Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, rounded to uint8 as MATLAB does for uint8
 * input. A 1-channel image is its own Y.
 *
 * `range` is the value of white in `img.data` (1 for FloatImage, 255 for 8-bit samples).
 */
export function lumaY(img: { width: number; height: number; channels: number; data: ArrayLike<number> }, range = 1): Plane {
  const { width, height, channels, data } = img;
  const n = width * height;
  if (data.length < n * channels) throw new StudioError('E_INVALID_ARGUMENT', `image data too short for ${width}x${height}x${channels}`);
  const k = 255 / range;
  const out = new Float64Array(n);
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = roundU8(data[i] * k);
  } else if (channels === 3) {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const r = roundU8(data[j] * k);
      const g = roundU8(data[j + 1] * k);
      const b = roundU8(data[j + 2] * k);
      out[i] = roundU8(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  } else {
    throw new StudioError('E_INVALID_ARGUMENT', `lumaY expects 1 or 3 channels, got ${channels}`);
  }
  return { width, height, data: out };
}

