import type { Rng } from '../train/rng';
import { analyticX4, centreOfMass, type Kernel } from './post';

/**
 * Test material in the manner of DIV2KRK (the KernelGAN paper's benchmark): every image gets its
 * own random anisotropic Gaussian kernel, 11x11, with covariance eigenvalues l1, l2 ~ U(0.6, 5)
 * rotated by theta ~ U(-pi, pi), each value multiplied by 1 + U(-0.25, 0.25), normalised to sum
 * 1. The x4 kernel is the x2 one applied twice (its 31x31 analytic composition).
 */
export interface RandomKernel {
  k2: Kernel;
  k4: Kernel;
  lambda1: number;
  lambda2: number;
  theta: number;
}

export function gaussianKernel(size: number, lambda1: number, lambda2: number, theta: number, noise?: (i: number) => number): Kernel {
  const c = Math.cos(theta), s = Math.sin(theta);
  // Sigma = Q diag(l1, l2) Q^T; its inverse has 1/l on the diagonal.
  const a = (c * c) / lambda1 + (s * s) / lambda2;
  const b = c * s * (1 / lambda1 - 1 / lambda2);
  const d = (s * s) / lambda1 + (c * c) / lambda2;
  const mid = (size - 1) / 2;
  const k = new Float64Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const x = j - mid, y = i - mid;
      k[i * size + j] = Math.exp(-0.5 * (a * x * x + 2 * b * x * y + d * y * y)) * (noise ? 1 + noise(i * size + j) : 1);
    }
  const sum = k.reduce((p, v) => p + v, 0);
  return { size, k: k.map((v) => v / sum) };
}

export function randomAnisotropicKernel(rng: Rng, size = 11): RandomKernel {
  const lambda1 = 0.6 + rng.next() * 4.4;
  const lambda2 = 0.6 + rng.next() * 4.4;
  const theta = -Math.PI + rng.next() * 2 * Math.PI;
  const k2 = gaussianKernel(size, lambda1, lambda2, theta, () => -0.25 + rng.next() * 0.5);
  return { k2, k4: analyticX4(k2, false), lambda1, lambda2, theta };
}

/** A kernel resampled so its centre of mass sits at the middle of a size x size grid (bilinear). */
export function centred(k: Kernel, size: number): Float64Array {
  const { r, c } = centreOfMass(k);
  const mid = (size - 1) / 2;
  const out = new Float64Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const y = i - mid + r, x = j - mid + c;
      const y0 = Math.floor(y), x0 = Math.floor(x), fy = y - y0, fx = x - x0;
      const at = (yy: number, xx: number): number => (yy >= 0 && yy < k.size && xx >= 0 && xx < k.size ? k.k[yy * k.size + xx] : 0);
      out[i * size + j] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  return out;
}

/**
 * How far an estimated kernel is from the true one, both centred by their centre of mass (a
 * shift is not an error: the resampler centres kernels the same way): the mean squared
 * difference, and "kernel PSNR" = 10 log10(max(true)^2 / MSE) over the true kernel's grid.
 */
export function kernelError(est: Kernel, truth: Kernel): { mse: number; psnr: number } {
  const size = Math.max(est.size, truth.size) + 2;
  const a = centred(est, size), b = centred(truth, size);
  let mse = 0, peak = 0;
  for (let i = 0; i < a.length; i++) {
    mse += (a[i] - b[i]) ** 2;
    peak = Math.max(peak, b[i]);
  }
  mse /= truth.size * truth.size;
  return { mse, psnr: 10 * Math.log10((peak * peak) / mse) };
}
