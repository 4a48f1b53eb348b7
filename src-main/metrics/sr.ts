import type { FloatImage } from '../contract/image';
import { lumaY } from './luma';
import { shavePlane, sameSize } from './plane';
import { psnrPlane } from './psnr';
import { ssimPlane } from './ssim';

export interface SrScore {
  psnr: number;
  ssim: number;
}

/**
 * PSNR and SSIM of a super-resolved image against its ground truth by the usual SR protocol:
 * both to uint8, Y channel (BT.601, 16-235; 1-channel images are their own Y), `shave` pixels
 * (normally the scale) removed from every border, peak 255.
 */
export function srMetrics(hr: FloatImage, sr: FloatImage, shave: number, opts: { ssim?: boolean } = {}): SrScore {
  const y1 = shavePlane(lumaY(hr), shave);
  const y2 = shavePlane(lumaY(sr), shave);
  sameSize(y1, y2);
  return { psnr: psnrPlane(y1, y2), ssim: opts.ssim === false ? NaN : ssimPlane(y1, y2) };
}
