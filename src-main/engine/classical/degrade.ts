import { StudioError } from '../../contract/errors';
import type { FloatImage } from '../../contract/image';
import { resizeToBuffer } from './imresize';

/** Crops to a multiple of `scale` in both directions (top-left kept), as the SR protocol does. */
export function modcrop(img: FloatImage, scale: number): FloatImage {
  const width = img.width - (img.width % scale);
  const height = img.height - (img.height % scale);
  if (width === img.width && height === img.height) return img;
  if (width <= 0 || height <= 0) throw new StudioError('E_INVALID_ARGUMENT', `a ${img.width}x${img.height} image is smaller than the scale ${scale}`);
  const c = img.channels;
  const data = new Float32Array(width * height * c);
  for (let y = 0; y < height; y++) data.set(img.data.subarray(y * img.width * c, (y * img.width + width) * c), y * width * c);
  return { width, height, channels: img.channels, data };
}

/**
 * The SR benchmark's low-resolution input: the (modcropped) image as uint8, MATLAB
 * `imresize(hr, 1/scale, 'bicubic')` with antialiasing, rounded back to uint8.
 * Integer scales only (the protocol's shave and modcrop need them).
 */
export function makeLowRes(hr: FloatImage, scale: number): { hr: FloatImage; lr: FloatImage } {
  if (!(Number.isInteger(scale) && scale >= 1)) throw new StudioError('E_INVALID_ARGUMENT', `evaluation scale must be a whole number >= 1, got ${scale}`);
  const crop = modcrop(hr, scale);
  const c = crop.channels;
  const u8 = new Uint8Array(crop.data.length);
  for (let i = 0; i < u8.length; i++) {
    const v = Math.floor(crop.data[i] * 255 + 0.5);
    u8[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  // 1/scale exactly as MATLAB and the reference script compute it.
  const small = resizeToBuffer({ width: crop.width, height: crop.height, channels: c, data: u8 }, { scale: 1 / scale }, { depth: 8, kernel: 'bicubic', antialias: true });
  const lr = new Float32Array(small.data.length);
  for (let i = 0; i < lr.length; i++) lr[i] = small.data[i] / 255;
  return { hr: crop, lr: { width: small.width, height: small.height, channels: crop.channels, data: lr } };
}
