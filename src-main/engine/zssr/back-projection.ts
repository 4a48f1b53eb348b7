import type { FloatImage } from '../../contract/image';
import { outputSize } from '../upscaler';
import { bicubicResampler, isotropic, type Factor, type Resampler } from './resample';

export interface BackProjection {
  image: FloatImage;
  /** Iterations kept. */
  iterations: number;
  /** RMS of (photo - downscaled result) before the first iteration and after each kept one. */
  errors: number[];
  /** Why it stopped before `iters`: the error grew (the last step was undone) or reached the noise floor. */
  stopped?: 'error-grew' | 'noise-floor';
}

function rmsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/**
 * Back-projection towards the photo: y += up(lr - down(y)), clipped to [0, 1] after each
 * iteration (as the original). With a blur kernel that has negative lobes, or on a noisy photo,
 * the iteration can amplify instead of correct, so it is guarded: the photo's reconstruction
 * error is measured after every iteration (the down() it needs is the next iteration's anyway),
 * an iteration that raises it is undone and ends the loop, and it stops once the error is at
 * `floor` (the photo's own noise level: matching noise more closely only copies it).
 * `y` is clipped in place and its buffer reused (big photos: two full-size buffers, not one per
 * iteration).
 */
export function backProject(y: FloatImage, lr: FloatImage, f: Factor, rs: Resampler, iters: number, floor = 0): BackProjection {
  let cur = clip(y);
  if (iters <= 0) return { image: cur, iterations: 0, errors: [] };
  let down = rs.down(cur, f, lr.width, lr.height);
  let err = rmsDiff(lr.data, down.data);
  const errors = [err];
  let stopped: BackProjection['stopped'];
  let spare: Float32Array | undefined;
  for (let i = 0; i < iters; i++) {
    if (err <= floor) {
      stopped = 'noise-floor';
      break;
    }
    const diff = new Float32Array(lr.data.length);
    for (let j = 0; j < diff.length; j++) diff[j] = lr.data[j] - down.data[j];
    const up = rs.up({ width: lr.width, height: lr.height, channels: lr.channels, data: diff }, f, cur.width, cur.height);
    const next = spare ?? up.data; // the first iteration writes into up()'s own buffer
    for (let j = 0; j < next.length; j++) {
      const v = cur.data[j] + up.data[j];
      next[j] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    const cand = { width: cur.width, height: cur.height, channels: cur.channels, data: next };
    const candDown = rs.down(cand, f, lr.width, lr.height);
    const candErr = rmsDiff(lr.data, candDown.data);
    if (!(candErr < err)) {
      stopped = 'error-grew';
      break;
    }
    spare = cur.data;
    cur = cand;
    down = candDown;
    err = candErr;
    errors.push(err);
  }
  return { image: cur, iterations: errors.length - 1, errors, ...(stopped ? { stopped } : {}) };
}

function clip(img: FloatImage): FloatImage {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i] < 0 ? 0 : d[i] > 1 ? 1 : d[i];
  return img;
}

/**
 * Standard deviation of white noise in an image, per sample (Immerkaer, "Fast noise variance
 * estimation", 1996): the mean absolute response of a Laplacian difference mask that cancels
 * smooth content, scaled for Gaussian noise, averaged over the channels. Edges bias it upwards a
 * little, which is the safe side for a floor that stops back-projection.
 */
export function estimateNoiseStd(img: FloatImage): number {
  const { width: W, height: H, channels: C, data } = img;
  if (W < 3 || H < 3) return 0;
  let s = 0;
  const at = (x: number, y: number, c: number): number => data[(y * W + x) * C + c];
  for (let c = 0; c < C; c++)
    for (let y = 1; y < H - 1; y++)
      for (let x = 1; x < W - 1; x++) {
        const v = at(x - 1, y - 1, c) - 2 * at(x, y - 1, c) + at(x + 1, y - 1, c) - 2 * at(x - 1, y, c) + 4 * at(x, y, c) - 2 * at(x + 1, y, c) + at(x - 1, y + 1, c) - 2 * at(x, y + 1, c) + at(x + 1, y + 1, c);
        s += Math.abs(v);
      }
  return (Math.sqrt(Math.PI / 2) * s) / (6 * (W - 2) * (H - 2) * C);
}

/**
 * What ZSSR gives with an identity network: bicubic enlargement, then back-projection (10
 * iterations, as the original). The yardstick for what ZSSR's trained network itself adds.
 */
export function bicubicBackProjection(lr: FloatImage, scale: number, iters = 10): FloatImage {
  const size = outputSize(lr.width, lr.height, scale);
  const f = isotropic(scale);
  return backProject(bicubicResampler.up(lr, f, size.width, size.height), lr, f, bicubicResampler, iters).image;
}
