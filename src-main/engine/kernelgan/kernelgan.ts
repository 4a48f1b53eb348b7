import { BLIND_SCALES, type BackendName, type BackendPreference } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import type { EngineProgress, FloatImage } from '../../contract/image';
import { ensureBackend, withTfjsBackend } from '../backend';
import { toRgb } from '../channels';
import { Rng } from '../train/rng';
import { bicubicKernel, boundaries, centralized, sparsity, sumToOne } from './constraints';
import { CropSampler } from './crops';
import { col2im, dOutputSize, im2col, PatchDiscriminator } from './discriminator';
import { DeepLinearGenerator, G_KERNEL } from './generator';
import { analyticX4, centreByWholePixels, toMatrix, zeroizeNegligible, type Kernel } from './post';

/**
 * KernelGAN (Bell-Kligler, Shocher, Irani, NeurIPS 2019): estimates the photo's SR kernel (the
 * blur that, followed by subsampling, turns a sharper version of the photo into the photo) by
 * training a deep linear generator to downscale the photo by 2 so that a patch discriminator
 * cannot tell its patches from the photo's own.
 */
export interface KernelGanOptions {
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  /** Seed of the initial weights, the crops and the noise (default 0): same seed, same kernel. */
  seed?: number;
  /** Training iterations (one G and one D step each). */
  iterations?: number;
  /** Both learning rates are divided by 10 every this many iterations (the reference: 750 of 3000). */
  lrDecayEvery?: number;
  backend?: BackendPreference;
}

/** What one estimation did, for logs and benchmarks. */
export interface KernelGanResult {
  /** The x2 kernel after post-processing (non-negative, sums to 1). */
  k2: Kernel;
  /** G's collapsed kernel as trained (13x13, may have small negative values). */
  raw: Kernel;
  iterations: number;
  ms: number;
  backend: BackendName;
  /** Iteration at which G first matched bicubic downscaling closely enough to drop that prior. */
  similarAt?: number;
}

/**
 * Defaults: the reference's (crop 64, lr 2e-4, beta1 0.5, lambda schedule) with 1500 iterations
 * and the learning rate divided by 10 after 750 and 1500: the reference's 3000 iterations spend
 * their second half at lr 2e-6 and 2e-7, where the kernel no longer moves measurably
 * (docs/zssr.md, "Blind ZSSR").
 */
export const KERNELGAN_DEFAULTS = { iterations: 1500, lrDecayEvery: 750, crop: 64, lr: 2e-4, beta1: 0.5 } as const;
/** Bumped whenever a change gives different kernels for the same photo and seed (cache key). */
export const KERNELGAN_VERSION = 'kernelgan-1';


const SCALE = 2;
const N_FILTERING = 40;

/**
 * The reference's bicubic-similarity threshold (0.4) was an MSE against a target that, by a slip
 * in its downscaling (every output channel the sum of all three input ones), is three times the
 * grey image; the target here is the per-channel bicubic downscale (what the paper describes), so
 * the threshold is scaled by that factor squared.
 */
const BICUBIC_SIMILAR = 0.4 / 9;

function cancelled(): StudioError {
  return new StudioError('E_CANCELLED', 'cancelled');
}

/**
 * Stride-2 correlation of an RGB crop (n x n, HWC) with a ks x ks kernel, the taps of output
 * (i, j) starting at (2i + at, 2j + at): an m x m result.
 */
function downscale(x: Float32Array, n: number, K: Float32Array, ks: number, out: Float32Array, m: number, at = 0): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      let r = 0, g = 0, b = 0;
      for (let a = 0; a < ks; a++) {
        let xo = ((2 * i + at + a) * n + 2 * j + at) * 3;
        const ko = a * ks;
        for (let c = 0; c < ks; c++, xo += 3) {
          const k = K[ko + c];
          r += k * x[xo];
          g += k * x[xo + 1];
          b += k * x[xo + 2];
        }
      }
      const o = (i * m + j) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
}

/** dLoss/dK of `downscale` given dLoss/dout. */
function downscaleGrad(x: Float32Array, n: number, dOut: Float32Array, m: number, ks: number, dK: Float32Array): void {
  for (let a = 0; a < ks; a++)
    for (let c = 0; c < ks; c++) {
      let s = 0;
      for (let i = 0; i < m; i++) {
        let xo = ((2 * i + a) * n + c) * 3;
        let o = i * m * 3;
        for (let j = 0; j < m; j++, xo += 6, o += 3) s += dOut[o] * x[xo] + dOut[o + 1] * x[xo + 1] + dOut[o + 2] * x[xo + 2];
      }
      dK[a * ks + c] += s;
    }
}

/**
 * The 8x8 bicubic downscale of the G crop, aligned with G's output (loss.DownScaleLoss +
 * shave_a2b: conv stride 2, padding 3, 32 outputs for n = 64 shaved by 3 on each side to 26, so
 * the taps start at 2i + 3).
 */
function bicubicTarget(x: Float32Array, n: number, m: number, kb: Float32Array, out: Float32Array): void {
  downscale(x, n, kb, 8, out, m, 3);
}

/** The reference's Learner: when to drop the bicubic prior, add the sparsity/centring ones, decay the rates. */
class Schedule {
  lambdaBicubic = 5;
  lambdaSum2one = 0.5;
  lambdaBoundaries = 0.5;
  lambdaCentralized = 0;
  lambdaSparse = 0;
  similarAt: number | undefined;
  private counter = 0;
  private inserted = false;

  constructor(private readonly lrDecayEvery: number) {}

  /** After iteration `it`; returns true when the learning rates are to be divided by 10. */
  update(it: number, lossBicubic: number): boolean {
    if (it === 0) return false;
    const decay = it % this.lrDecayEvery === 0;
    if (this.similarAt === undefined) {
      if (lossBicubic < BICUBIC_SIMILAR) {
        if (this.counter >= 2) this.similarAt = it;
        else this.counter++;
      } else this.counter = 0;
    } else if (it % 200 === 0 && this.lambdaBicubic > 5e-6) {
      this.lambdaBicubic = Math.max(this.lambdaBicubic / 100, 5e-6);
      if (!this.inserted && this.lambdaBicubic < 5e-3) {
        this.lambdaCentralized = 1;
        this.lambdaSparse = 5;
        this.inserted = true;
      }
    }
    return decay;
  }
}

/** Runs KernelGAN on a photo; the raw and post-processed x2 kernels. */
export async function runKernelGan(img: FloatImage, opts: KernelGanOptions = {}): Promise<KernelGanResult> {
  const iterations = opts.iterations ?? KERNELGAN_DEFAULTS.iterations;
  const lrDecayEvery = opts.lrDecayEvery ?? KERNELGAN_DEFAULTS.lrDecayEvery;
  const n = KERNELGAN_DEFAULTS.crop;
  const rgb = toRgb(img);
  if (rgb.width < n || rgb.height < n) {
    throw new StudioError('E_INVALID_ARGUMENT', `blur estimation needs a photo of at least ${n}x${n} pixels, got ${rgb.width}x${rgb.height}`);
  }
  if (opts.signal?.aborted) throw cancelled();
  const active = await ensureBackend(opts.backend);
  // D reads each matrix product back at once (dataSync), which tfjs's WebGPU backend cannot do
  // in Node; D's products are small (~90 M multiply-adds per iteration), so the CPU does them.
  if (active === 'webgpu') return withTfjsBackend('wasm', () => train(rgb, iterations, lrDecayEvery, 'wasm', opts));
  return train(rgb, iterations, lrDecayEvery, active, opts);
}

async function train(rgb: FloatImage, iterations: number, lrDecayEvery: number, backend: BackendName, opts: KernelGanOptions): Promise<KernelGanResult> {
  const n = KERNELGAN_DEFAULTS.crop;
  const t0 = performance.now();
  const rng = new Rng(opts.seed ?? 0);
  const G = new DeepLinearGenerator(rng, KERNELGAN_DEFAULTS.lr, KERNELGAN_DEFAULTS.beta1);
  const D = new PatchDiscriminator(rng, KERNELGAN_DEFAULTS.lr, KERNELGAN_DEFAULTS.beta1);
  const ks = G_KERNEL;
  const m = (n - ks) / 2 + 1 | 0; // G's output side: 26 (the D crop size)
  const sampler = new CropSampler(rgb, n, m, SCALE);
  const schedule = new Schedule(lrDecayEvery);
  const kb = bicubicKernel(2);
  const rows = dOutputSize(m) ** 2;
  const fake = new Float32Array(m * m * 3);
  const bic = new Float32Array(m * m * 3);
  const dFake = new Float32Array(m * m * 3);
  const colsG = new Float32Array(rows * 147);
  const colsD = new Float32Array(2 * rows * 147);
  const dK = new Float32Array(ks * ks);
  let lastEmit = 0;

  for (let it = 0; it < iterations; it++) {
    if (opts.signal?.aborted) throw cancelled();
    const gIn = sampler.gCrop(rng);
    const dIn = sampler.dCrop(rng);
    for (let i = 0; i < dIn.length; i++) dIn[i] += (2 / 255) * rng.normal();

    // G step: adversarial loss through D, plus the priors.
    const K = G.kernel;
    downscale(gIn, n, K, ks, fake, m);
    im2col(fake, m, colsG, 0);
    const adv = D.generatorGrad(colsG);
    col2im(adv.dCols, m, dFake);
    bicubicTarget(gIn, n, m, kb, bic);
    let lossBic = 0;
    for (let i = 0; i < fake.length; i++) lossBic += (fake[i] - bic[i]) ** 2;
    lossBic /= fake.length;
    for (let i = 0; i < fake.length; i++) dFake[i] += (schedule.lambdaBicubic * 2 * (fake[i] - bic[i])) / fake.length;
    dK.fill(0);
    downscaleGrad(gIn, n, dFake, m, ks, dK);
    sumToOne(K, dK, schedule.lambdaSum2one);
    boundaries(K, dK, schedule.lambdaBoundaries);
    centralized(K, dK, schedule.lambdaCentralized, SCALE);
    sparsity(K, dK, schedule.lambdaSparse);
    G.step(dK);

    // D step on a real crop and the updated G's output (with a little noise, as the reference).
    downscale(gIn, n, G.kernel, ks, fake, m);
    for (let i = 0; i < fake.length; i++) fake[i] += rng.normal() / 255;
    im2col(dIn, m, colsD, 0);
    im2col(fake, m, colsD, rows);
    D.trainStep(colsD);

    if (schedule.update(it, lossBic)) {
      G.lr = G.lr / 10;
      D.lr = D.lr / 10;
    }
    const now = performance.now();
    if (opts.onProgress && (now - lastEmit > 250 || it === iterations - 1)) {
      lastEmit = now;
      opts.onProgress({ phase: 'estimate', done: it + 1, total: iterations, ...(it === 0 ? { message: 'estimating blur' } : {}) });
    }
    if (it % 4 === 3) await new Promise<void>((r) => setImmediate(r));
  }
  const raw: Kernel = { size: ks, k: Float64Array.from(G.kernel) };
  // Float32 values: what the cache stores, so a cached estimate is the very same kernel.
  const post = zeroizeNegligible(raw, N_FILTERING);
  const k2: Kernel = { size: post.size, k: post.k.map(Math.fround) };
  return { k2, raw, iterations, ms: performance.now() - t0, backend, ...(schedule.similarAt !== undefined ? { similarAt: schedule.similarAt } : {}) };
}

/** The SR kernel for `scale` from an x2 estimate: x2 itself, x4 by the paper's analytic composition. */
export function kernelForScale(k2: Kernel, scale: number): Kernel {
  if (scale === 2) return k2;
  if (scale === 4) return analyticX4(centreByWholePixels(k2));
  throw new StudioError('E_CONFIG_INVALID', `blur estimation gives x2 and x4 kernels; x${scale} is not supported (use x2 or x4, or give a kernel file)`);
}

/**
 * The photo's SR kernel for `scale` (2 or 4), estimated from the photo alone: a square matrix
 * that sums to 1, to be applied as a correlation before subsampling by `scale` (centred by its
 * centre of mass).
 */
export async function estimateKernel(img: FloatImage, scale: number, opts: KernelGanOptions = {}): Promise<number[][]> {
  if (!(BLIND_SCALES as readonly number[]).includes(scale)) kernelForScale({ size: 1, k: Float64Array.of(1) }, scale);
  const r = await runKernelGan(img, opts);
  return toMatrix(kernelForScale(r.k2, scale));
}
