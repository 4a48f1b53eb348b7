import { createHash } from 'node:crypto';
import { BLIND_SCALES, type ZssrConfig } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import type { FloatImage } from '../../contract/image';
import { toRgb } from '../channels';
import type { ModelStore, StoredModel, UpscaleContext, Upscaler } from '../upscaler';
import { zssrUpscale, type ZssrOptions } from '../zssr';
import { KERNELGAN_DEFAULTS, KERNELGAN_VERSION, kernelForScale, runKernelGan, type KernelGanOptions } from './kernelgan';
import { toMatrix, type Kernel } from './post';

/**
 * Blind ZSSR: the photo's blur kernel is estimated from the photo (KernelGAN), then ZSSR trains
 * with that kernel and the "Real photo" setting (ZSSR's REAL_PHOTO: noise in the sons, no
 * back-projection, no ensemble). The x2 estimate is kept in the per-image cache, so running the
 * photo again (at x2 or x4, any preset) does not estimate again.
 */
export const BLIND_ZSSR_DEFAULTS: ZssrConfig = {
  real_photo: true,
  // One step at the requested scale: the kernel is the one for that factor.
  scale_times: 1,
};

/** The ZSSR settings of a Blind run: the Real photo values under what the user set. */
export function blindZssrConfig(scale: number, user: ZssrConfig = {}): ZssrConfig {
  if (!(BLIND_SCALES as readonly number[]).includes(scale)) kernelForScale({ size: 1, k: Float64Array.of(1) }, scale);
  if (user.kernel_path) throw new StudioError('E_CONFIG_INVALID', 'give a blur kernel file or Blind (estimate the blur), not both');
  if ((user.scale_times !== undefined && user.scale_times !== 1) || (user.scale_factor !== undefined && Math.abs(user.scale_factor - scale) > 1e-9)) {
    throw new StudioError('E_CONFIG_INVALID', `Blind ZSSR runs one x${scale} step with the x${scale} kernel it estimates; leave scale_factor/scale_times unset`);
  }
  const { blind: _blind, ...rest } = user;
  return { ...BLIND_ZSSR_DEFAULTS, ...rest };
}

/** Cache key of a photo's kernel estimate: the pixels, the estimation settings, the engine version. */
export function kernelCacheKey(img: FloatImage, o: { iterations: number; seed: number }): string {
  const rgb = toRgb(img);
  const h = createHash('sha256');
  h.update(`${KERNELGAN_VERSION}\n${rgb.width}x${rgb.height}\n${o.iterations}\n${o.seed}\n`);
  h.update(new Uint8Array(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength));
  return h.digest('hex');
}

function toStored(k2: Kernel, meta: Record<string, unknown>): StoredModel {
  const data = Float32Array.from(k2.k);
  return { weightSpecs: [{ name: 'kernel_x2', shape: [k2.size, k2.size], dtype: 'float32' }], weightData: data.buffer, meta };
}

function fromStored(m: StoredModel): Kernel | undefined {
  const spec = m.weightSpecs[0];
  if (m.weightSpecs.length !== 1 || spec.name !== 'kernel_x2' || spec.shape.length !== 2 || spec.shape[0] !== spec.shape[1]) return undefined;
  const k = new Float32Array(m.weightData);
  if (k.length !== spec.shape[0] ** 2 || !k.every(Number.isFinite)) return undefined;
  return { size: spec.shape[0], k: Float64Array.from(k) };
}

export interface BlindOptions extends ZssrOptions {
  /** Estimation settings (tests and benchmarks; the studio uses the defaults). */
  kernelGan?: Pick<KernelGanOptions, 'iterations' | 'seed' | 'lrDecayEvery'>;
  /** Called with the x2 estimate and whether it came from the cache. */
  onKernel?: (k2: Kernel, cached: boolean) => void;
}

/** The photo's x2 kernel: from the cache, or estimated (and then cached). */
export async function photoKernel(img: FloatImage, ctx: UpscaleContext, opts: BlindOptions = {}): Promise<{ k2: Kernel; cached: boolean }> {
  const iterations = opts.kernelGan?.iterations ?? KERNELGAN_DEFAULTS.iterations;
  const seed = opts.kernelGan?.seed ?? 0;
  const store: ModelStore | undefined = opts.noCache ? undefined : ctx.store;
  const key = kernelCacheKey(img, { iterations, seed });
  const hit = store ? await store.get(key) : undefined;
  const cachedK = hit ? fromStored(hit) : undefined;
  if (cachedK) return { k2: cachedK, cached: true };
  const r = await runKernelGan(img, {
    iterations,
    seed,
    ...(opts.kernelGan?.lrDecayEvery !== undefined ? { lrDecayEvery: opts.kernelGan.lrDecayEvery } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    ...(ctx.backend ? { backend: ctx.backend } : {}),
  });
  if (store) {
    await store.put(key, toStored(r.k2, { key, method: 'kernelgan', engineVersion: KERNELGAN_VERSION, steps: r.iterations, trainMs: Math.round(r.ms), backend: r.backend, width: img.width, height: img.height }));
  }
  return { k2: r.k2, cached: false };
}

/** Blind ZSSR of one photo at x2 or x4. */
export async function blindZssrUpscale(img: FloatImage, ctx: UpscaleContext, opts: BlindOptions = {}): Promise<FloatImage> {
  const zssr = blindZssrConfig(ctx.scale, ctx.zssr);
  const { k2, cached } = await photoKernel(img, ctx, opts);
  opts.onKernel?.(k2, cached);
  ctx.onEvent?.({ message: cached ? 'blur kernel reused from the cache, no estimation' : `blur kernel estimated from the photo (${k2.size}x${k2.size})` });
  const kernel = toMatrix(kernelForScale(k2, ctx.scale));
  return zssrUpscale(img, { ...ctx, zssr }, { ...opts, kernel });
}

/** ZSSR with the Blind option: requests with `zssr.blind` estimate the blur first. */
export function withBlindOption(zssr: Upscaler): Upscaler {
  return {
    ...zssr,
    upscale: (img, ctx) => (ctx.zssr?.blind ? blindZssrUpscale(img, ctx) : zssr.upscale(img, ctx)),
    ...(zssr.upscaleToSamples
      ? { upscaleToSamples: (img, ctx, depth) => (ctx.zssr?.blind ? Promise.resolve(undefined) : zssr.upscaleToSamples!(img, ctx, depth)) }
      : {}),
  };
}
