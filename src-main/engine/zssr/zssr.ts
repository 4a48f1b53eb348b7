import { StudioError } from '../../contract/errors';
import type { BackendName } from '../../contract/enhance';
import type { FloatImage } from '../../contract/image';
import { ensureBackend, preferenceFromEnv, probeBackends } from '../backend';
import { toGray, toRgb } from '../channels';
import type { ConvNetWeights } from '../fast/convnet';
import { inferTiled } from '../tiling';
import { PairedNormalRng, type Rng } from '../train/rng';
import { outputSize, type UpscaleContext } from '../upscaler';
import { AUTO_ENSEMBLE_MAX_PIXELS, resolveConfig, type EffectiveZssrConfig } from './config';
import { clamp01, crop, dihedral, dihedralCrop, dihedralSize, median, mse, undihedral } from './image-ops';
import { LrPolicy } from './lr-policy';
import { fromStoredModel, toStoredModel, zssrCacheKey, ZSSR_ENGINE_VERSION } from './model-io';
import { bicubicResampler, kernelResampler, loadKernel, type Resampler } from './resample';
import { FastTrainer, initWeights, TfTrainer, type NetShape, type ZssrTrainer } from './trainer';

/** What a run did, for events, the cache's meta and benchmarks. */
export interface ZssrReport {
  key: string;
  cacheHit: boolean;
  backend: BackendName;
  detail: string;
  /** Training steps per gradual stage (0 on a cache hit). */
  steps: number[];
  trainMs: number;
  inferMs: number;
  finalLoss: number;
  /** Steps at which the learning rate was divided, per stage. */
  decays: number[][];
  warmStartFrom?: string;
}

export interface ZssrOptions {
  /** Skip the model cache even when ctx.store is given. */
  noCache?: boolean;
  /** Threads for the fast kernels (default: all cores, at most 8). */
  threads?: number;
  /** The photo's blur kernel (e.g. estimated by KernelGAN); takes the place of `kernel_path`. */
  kernel?: number[][];
  /** Called once at the end with what happened. */
  onReport?: (r: ZssrReport) => void;
}

/** Window of the LR image the reconstruction error is measured on (the whole image when small). */
const REC_MAX_PIXELS = 256 * 256;

function cancelled(): StudioError {
  return new StudioError('E_CANCELLED', 'cancelled');
}

function yieldToEvents(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

interface Source {
  father: FloatImage;
  son: FloatImage;
  weight: number;
}

/** MATLAB's ceil(len / f), ignoring float noise. */
function lowLen(len: number, f: number): number {
  const exact = len / f;
  const r = Math.round(exact);
  return Math.max(1, Math.abs(exact - r) < 1e-9 * Math.max(1, exact) ? r : Math.ceil(exact));
}

function makeSon(father: FloatImage, f: number, rs: Resampler): FloatImage {
  const low = rs.down(father, f, lowLen(father.width, f), lowLen(father.height, f));
  return clamp01(rs.up(low, f, father.width, father.height));
}

function centerWindow(img: FloatImage, maxPixels: number): { x: number; y: number; w: number; h: number } {
  if (img.width * img.height <= maxPixels) return { x: 0, y: 0, w: img.width, h: img.height };
  const r = Math.sqrt(maxPixels / (img.width * img.height));
  const w = Math.max(1, Math.min(img.width, Math.floor(img.width * r)));
  const h = Math.max(1, Math.min(img.height, Math.floor(maxPixels / w)));
  return { x: (img.width - w) >> 1, y: (img.height - h) >> 1, w, h };
}

/** y += up(lr - down(y)), `iters` times (the original's back-projection towards the input). */
export function backProject(y: FloatImage, lr: FloatImage, scale: number, rs: Resampler, iters: number): FloatImage {
  let cur = y;
  for (let i = 0; i < iters; i++) {
    const down = rs.down(cur, scale, lr.width, lr.height);
    const diff = new Float32Array(lr.data.length);
    for (let j = 0; j < diff.length; j++) diff[j] = lr.data[j] - down.data[j];
    const up = rs.up({ width: lr.width, height: lr.height, channels: lr.channels, data: diff }, scale, cur.width, cur.height);
    const next = new Float32Array(cur.data.length);
    for (let j = 0; j < next.length; j++) next[j] = cur.data[j] + up.data[j];
    cur = { width: cur.width, height: cur.height, channels: cur.channels, data: next };
  }
  return clamp01(cur);
}

async function makeTrainer(cfg: EffectiveZssrConfig, ctx: UpscaleContext, shape: NetShape, threads: number | undefined, w: ConvNetWeights): Promise<ZssrTrainer> {
  const pref = ctx.backend ?? preferenceFromEnv();
  const fastOk = cfg.model_kernel_size === 3 && cfg.model_width % 4 === 0;
  const nativeAvailable = probeBackends().some((b) => (b.name === 'tensorflow' || b.name === 'tensorflow-gpu') && b.available);
  let useFast = pref === 'wasm' || (pref === 'auto' && !nativeAvailable);
  let backend: BackendName | undefined;
  if (!useFast) {
    backend = await ensureBackend(pref);
    // tfjs's wasm backend cannot train convolutions: the fast kernels stand in for it.
    if (backend === 'wasm') useFast = true;
  }
  if (useFast) {
    if (!fastOk) {
      throw new StudioError(
        'E_CONFIG_INVALID',
        `model_kernel_size ${cfg.model_kernel_size} / model_width ${cfg.model_width} need the TensorFlow or cpu backend: the fast wasm kernels run 3x3 convolutions of a width divisible by 4`,
      );
    }
    const t = await FastTrainer.create(shape, cfg.crop_size, threads);
    t.setWeights(w);
    return t;
  }
  return new TfTrainer(backend ?? 'cpu', shape, w);
}

/**
 * Zero-shot super-resolution (Shocher, Cohen, Irani 2018) of one photo: trains a small residual
 * CNN on the photo itself (its 8 dihedral variants as fathers, their down+up-scaled copies as
 * sons), with the original learning-rate policy, gradual steps for large factors, an 8-way
 * self-ensemble (median) and back-projection.
 */
export async function zssrUpscale(img: FloatImage, ctx: UpscaleContext, opts: ZssrOptions = {}): Promise<FloatImage> {
  const cfg = resolveConfig(ctx.scale, ctx.preset ?? 'balanced', ctx.zssr ?? {});
  if (ctx.signal?.aborted) throw cancelled();
  const rgb = toRgb(img);
  const grayOut = img.channels === 1 || cfg.in_channels === 1;
  const input = cfg.in_channels === 1 ? toRgb(toGray(rgb)) : rgb;
  const rs = opts.kernel ? kernelResampler(opts.kernel) : cfg.kernel_path ? kernelResampler(await loadKernel(cfg.kernel_path)) : bicubicResampler;
  const shape: NetShape = { depth: cfg.model_depth, width: cfg.model_width, kernel: cfg.model_kernel_size };
  const T = cfg.scale_times;
  const f = cfg.scale_factor;
  const key = zssrCacheKey(input, ctx.scale, cfg, rs.id);
  const store = opts.noCache ? undefined : ctx.store;

  let cached: ConvNetWeights[] | undefined;
  const stored = store ? await store.get(key) : undefined;
  if (stored) cached = fromStoredModel(stored, shape, T);
  let warm: { weights: ConvNetWeights[]; targetLoss: number; from: string } | undefined;
  if (!cached && store?.findSimilar && ctx.hints && Object.keys(ctx.hints).length) {
    const sim = await store.findSimilar(ctx.hints);
    const w = sim ? fromStoredModel(sim, shape, T) : undefined;
    const target = sim?.meta.finalLoss;
    if (sim && w && typeof target === 'number' && Number.isFinite(target)) warm = { weights: w, targetLoss: target, from: String(sim.meta.key ?? '') };
  }

  const rng = new PairedNormalRng(0);
  const trainer = await makeTrainer(cfg, ctx, shape, opts.threads, cached?.[0] ?? warm?.weights[0] ?? initWeights(shape, rng));
  ctx.onEvent?.({ backend: trainer.backend, cacheHit: !!cached, message: cached ? 'cache hit: trained model reused, no training' : `training on ${trainer.backend} (${trainer.detail})` });

  const report: ZssrReport = { key, cacheHit: !!cached, backend: trainer.backend, detail: trainer.detail, steps: [], trainMs: 0, inferMs: 0, finalLoss: NaN, decays: [] };
  if (warm) report.warmStartFrom = warm.from;
  const stageWeights: ConvNetWeights[] = [];
  try {
    const sources: FloatImage[] = [input];
    let cur = input;
    for (let stage = 0; stage < T; stage++) {
      const last = stage === T - 1;
      const cum = last ? ctx.scale : f ** (stage + 1);
      const out = last ? outputSize(input.width, input.height, ctx.scale) : outputSize(input.width, input.height, cum);
      if (cached) trainer.setWeights(cached[stage]);
      else {
        if (stage > 0 && warm) trainer.setWeights(warm.weights[stage]);
        trainer.resetOptimizer();
        const t0 = performance.now();
        const r = await trainStage(trainer, sources, f, cfg, rs, rng, ctx, stage, warm?.targetLoss);
        report.trainMs += performance.now() - t0;
        report.steps.push(r.steps);
        report.decays.push(r.decays);
        report.finalLoss = r.finalLoss;
        stageWeights.push(trainer.getWeights());
      }
      const t1 = performance.now();
      const up = clampCopy(rs.up(cur, out.width / cur.width, out.width, out.height));
      cur = await inferStage(trainer, up, input, cum, cfg, rs, ctx, stage);
      report.inferMs += performance.now() - t1;
      sources.push(cur);
    }
    if (!cached && store) {
      const meta = {
        key,
        engineVersion: ZSSR_ENGINE_VERSION,
        steps: report.steps.reduce((a, b) => a + b, 0),
        finalLoss: report.finalLoss,
        trainMs: Math.round(report.trainMs),
        backend: trainer.backend,
        detail: trainer.detail,
        scale: ctx.scale,
        width: img.width,
        height: img.height,
        ...(ctx.hints ? { hints: ctx.hints } : {}),
        ...(warm ? { warmStartFrom: warm.from } : {}),
      };
      await store.put(key, toStoredModel(stageWeights, shape, meta));
    }
    opts.onReport?.(report);
    return grayOut ? toGray(cur) : cur;
  } finally {
    await trainer.dispose();
  }
}

function clampCopy(img: FloatImage): FloatImage {
  return clamp01({ ...img, data: Float32Array.from(img.data) });
}

async function trainStage(
  trainer: ZssrTrainer,
  sourceImgs: FloatImage[],
  f: number,
  cfg: EffectiveZssrConfig,
  rs: Resampler,
  rng: Rng,
  ctx: UpscaleContext,
  stage: number,
  warmTarget: number | undefined,
): Promise<{ steps: number; finalLoss: number; decays: number[] }> {
  // Fathers: the input and each earlier result; the newest gets weight 1 and each level closer to
  // the original f^2 more (document 002's f^(2*level), counted from the newest level), so
  // training leans on the real pixels rather than on the network's own output.
  const n = sourceImgs.length;
  const sources: Source[] = sourceImgs.map((father, j) => ({ father, son: makeSon(father, f, rs), weight: f ** (2 * (n - 1 - j)) }));
  const wsum = sources.reduce((s, x) => s + x.weight, 0);
  const rec = centerWindow(sources[0].father, REC_MAX_PIXELS);
  const recIn = crop(sources[0].son, rec.x, rec.y, rec.w, rec.h);
  const recTarget = crop(sources[0].father, rec.x, rec.y, rec.w, rec.h);

  const policy = new LrPolicy(cfg);
  const losses: number[] = [];
  let lastEmit = 0;
  let step = 0;
  for (; step < cfg.num_epochs; step++) {
    if (ctx.signal?.aborted) throw cancelled();
    let pick = rng.next() * wsum;
    let src = sources[sources.length - 1];
    for (const s of sources) {
      if (pick < s.weight) {
        src = s;
        break;
      }
      pick -= s.weight;
    }
    const k = rng.int(8);
    const v = dihedralSize(k, src.father.width, src.father.height);
    const ch = Math.min(cfg.crop_size, v.height), cw = Math.min(cfg.crop_size, v.width);
    const y0 = rng.int(v.height - ch + 1), x0 = rng.int(v.width - cw + 1);
    const father = dihedralCrop(src.father, k, x0, y0, cw, ch);
    const son = dihedralCrop(src.son, k, x0, y0, cw, ch);
    if (cfg.noise_std > 0) addUpscaledNoise(son, cfg.noise_std, f, rs, rng);
    const loss = trainer.step(son, father, policy.lr);
    losses.push(loss);
    if (policy.measures(step)) policy.record(step, mse(trainer.forward(recIn), recTarget));
    policy.update(step);
    const now = performance.now();
    if (now - lastEmit > 250 || step === 0) {
      lastEmit = now;
      // The job's train events carry the ETA; a text message only marks a new gradual stage.
      ctx.onProgress?.({
        phase: 'train',
        done: step + 1,
        total: cfg.num_epochs,
        step: step + 1,
        loss,
        lr: policy.lr,
        ...(step === 0 && cfg.scale_times > 1 ? { message: `stage ${stage + 1}/${cfg.scale_times}` } : {}),
      });
    }
    if (policy.finished) {
      step++;
      break;
    }
    if (warmTarget !== undefined && losses.length >= 20 && mean(losses.slice(-20)) <= warmTarget) {
      step++;
      break;
    }
    await yieldToEvents();
  }
  const finalLoss = mean(losses.slice(-50));
  ctx.onProgress?.({ phase: 'train', done: cfg.num_epochs, total: cfg.num_epochs, step, loss: finalLoss, lr: policy.lr, message: `trained ${step} steps` });
  return { steps: step, finalLoss, decays: policy.decays };
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN;
}

/** Noise added to the son before it is upscaled: white at the low resolution, then bicubic. */
function addUpscaledNoise(son: FloatImage, std: number, f: number, rs: Resampler, rng: Rng): void {
  const lw = lowLen(son.width, f), lh = lowLen(son.height, f);
  const noise = new Float32Array(lw * lh * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal() * std;
  const up = rs.up({ width: lw, height: lh, channels: 3, data: noise }, f, son.width, son.height);
  for (let i = 0; i < son.data.length; i++) son.data[i] = Math.min(1, Math.max(0, son.data[i] + up.data[i]));
}

async function inferStage(
  trainer: ZssrTrainer,
  up: FloatImage,
  lr: FloatImage,
  cum: number,
  cfg: EffectiveZssrConfig,
  rs: Resampler,
  ctx: UpscaleContext,
  stage: number,
): Promise<FloatImage> {
  const pixels = up.width * up.height;
  const ensemble = cfg.ensemble === 'auto' ? pixels <= AUTO_ENSEMBLE_MAX_PIXELS : cfg.ensemble;
  // Faithful path (each member back-projected, then the median, then back-projected again)
  // keeps 8 outputs in memory; above 4 MP the median is taken inside each tile instead.
  const perMember = ensemble && pixels <= AUTO_ENSEMBLE_MAX_PIXELS;
  const passes = perMember ? 8 : 1;
  const bpIters = cfg.back_projection ? cfg.back_projection_iters : 0;
  let tilesDone = 0;
  const tiled = async (img: FloatImage, fn: (tile: FloatImage) => FloatImage, passTiles: (t: number) => void): Promise<FloatImage> =>
    inferTiled(
      img,
      {
        scale: 1,
        tile: Math.max(cfg.patch_size, 8 * cfg.model_depth),
        overlap: 4 * cfg.model_depth,
        margin: cfg.model_depth + 1,
        signal: ctx.signal,
        onTile: (done, total) => {
          passTiles(total);
          tilesDone++;
          ctx.onProgress?.({ phase: 'infer', done: tilesDone, total: total * passes, message: `${cfg.scale_times > 1 ? `stage ${stage + 1}/${cfg.scale_times} · ` : ''}tile ${tilesDone}/${total * passes}` });
        },
      },
      async (tile) => {
        await yieldToEvents();
        if (ctx.signal?.aborted) throw cancelled();
        return fn(tile);
      },
    );
  const noop = (): void => undefined;
  if (perMember) {
    const outs: FloatImage[] = [];
    for (let k = 0; k < 8; k++) {
      const o = undihedral(await tiled(dihedral(up, k), (t) => trainer.forward(t), noop), k);
      outs.push(bpIters ? backProject(o, lr, cum, rs, bpIters) : o);
    }
    const m = median(outs);
    return bpIters ? backProject(m, lr, cum, rs, bpIters) : clamp01(m);
  }
  const fn = ensemble ? (t: FloatImage): FloatImage => median(Array.from({ length: 8 }, (_, k) => undihedral(trainer.forward(dihedral(t, k)), k))) : (t: FloatImage): FloatImage => trainer.forward(t);
  const out = await tiled(up, fn, noop);
  return bpIters ? backProject(out, lr, cum, rs, bpIters) : clamp01(out);
}
