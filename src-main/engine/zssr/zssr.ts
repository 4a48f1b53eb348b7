import { StudioError } from '../../contract/errors';
import type { BackendName } from '../../contract/enhance';
import type { FloatImage } from '../../contract/image';
import { ensureBackend, preferenceFromEnv, probeBackends } from '../backend';
import { toGray, toRgb } from '../channels';
import type { ConvNetWeights } from '../fast/convnet';
import { inferTiled } from '../tiling';
import { PairedNormalRng, type Rng } from '../train/rng';
import type { UpscaleContext } from '../upscaler';
import { randomFather } from './augment';
import { backProject, estimateNoiseStd } from './back-projection';
import { AUTO_ENSEMBLE_MAX_PIXELS, resolveConfig, type EffectiveZssrConfig, type ZssrStage } from './config';
import { crop, dihedral, median, mse, undihedral } from './image-ops';
import { LrPolicy } from './lr-policy';
import { fromStoredModel, toStoredModel, zssrCacheKey, ZSSR_ENGINE_VERSION } from './model-io';
import { bicubicResampler, kernelResampler, type Factor, type Resampler } from './resample';
import { centred, FastTrainer, initWeights, TfTrainer, type NetShape, type ZssrTrainer } from './trainer';

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
  /**
   * Per stage: the network rebuilt the photo from its son no better than interpolation does, so
   * it was not used (the stage's result is interpolation and back-projection alone); training
   * stops early when that is clear.
   */
  noGain: boolean[];
  /** Back-projection iterations kept on the final result, and why it stopped early if it did. */
  backProjection: { iterations: number; stopped?: string }[];
  warmStartFrom?: string;
}

/** A look at the result while the last stage trains (benchmarks draw PSNR-vs-time curves with it). */
export interface ZssrCheckpoint {
  step: number;
  /** Training time so far (all stages), checkpoints excluded. */
  trainMs: number;
  /** The result if training stopped here: one pass, back-projected (no ensemble). */
  render(): FloatImage;
}

export interface ZssrOptions {
  /** Skip the model cache even when ctx.store is given. */
  noCache?: boolean;
  /** Threads for the fast kernels (default: all cores, at most 8). */
  threads?: number;
  /**
   * The photo's blur kernel (e.g. estimated by KernelGAN), normalised or not; takes the place of
   * `kernel_path`. As with a kernel file, the "Real photo" setting is then the default.
   */
  kernel?: number[][];
  /** Called once at the end with what happened. */
  onReport?: (r: ZssrReport) => void;
  /** Called every `checkpointEvery` steps of the last stage. */
  onCheckpoint?: (c: ZssrCheckpoint) => void;
  checkpointEvery?: number;
}

/** Pixels of the LR image the reconstruction error is measured on (the whole image when small). */
const REC_MAX_PIXELS = 256 * 256;
/**
 * A network is used only if it rebuilds the photo from its son better than interpolation does:
 * one that does not has learned nothing back-projection does not give, and an undertrained one
 * can be worse than interpolation. From NO_GAIN_FROM_STEP on, training stops when a measurement
 * shows it no better than interpolation and no better than NO_GAIN_SPAN steps before (not
 * learning: a photo with little to learn still improves slowly and goes on), and from
 * NO_GAIN_FROM_STEP + NO_GAIN_SPAN when it is still no better than interpolation. Not sooner:
 * the learning rate only reaches its full value at step 100, and on a 24 MP photo judged at
 * step 100 the net had not yet moved (RMS 0.0188 against interpolation's 0.0189).
 */
const NO_GAIN_FROM_STEP = 200;
const NO_GAIN_SPAN = 100;
/** "No better": within half a per cent. */
const NO_GAIN_TOLERANCE = 0.995;

function cancelled(): StudioError {
  return new StudioError('E_CANCELLED', 'cancelled');
}

function yieldToEvents(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** MATLAB's ceil(len / f), ignoring float noise. */
function lowLen(len: number, f: number): number {
  const exact = len / f;
  const r = Math.round(exact);
  return Math.max(1, Math.abs(exact - r) < 1e-9 * Math.max(1, exact) ? r : Math.ceil(exact));
}

/**
 * The son of a father: down by the factor (bicubic or the kernel), noise at the low resolution
 * (the original's noise_std), up again by bicubic to the father's size.
 */
function makeSon(father: FloatImage, f: Factor, rs: Resampler, noiseStd: number, rng: Rng | undefined): FloatImage {
  const low = rs.down(father, f, lowLen(father.width, f.x), lowLen(father.height, f.y));
  if (noiseStd > 0 && rng) {
    const d = low.data;
    for (let i = 0; i < d.length; i++) d[i] = Math.min(1, Math.max(0, d[i] + rng.normal() * noiseStd));
  }
  return rs.up(low, f, father.width, father.height);
}

/** Pixels of real surroundings a son needs so its border is not made up: the reach of down() and of up(). */
function sonMargin(f: Factor, rs: Resampler): number {
  return Math.ceil(rs.downReach(f) + 2 * Math.max(f.x, f.y)) + 1;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Windows across each axis when the photo is too big to measure whole. */
const REC_GRID = 4;

/**
 * Where the reconstruction error is measured: the whole image when small; else a REC_GRID x
 * REC_GRID grid of equal windows spread over the photo (maxPixels in all), so a smooth centre
 * (sky, a blurred background) does not speak for the whole photo.
 */
export function measureWindows(width: number, height: number, maxPixels: number): Rect[] {
  if (width * height <= maxPixels) return [{ x: 0, y: 0, w: width, h: height }];
  const side = Math.floor(Math.sqrt(maxPixels) / REC_GRID);
  const w = Math.max(1, Math.min(side, Math.floor(width / REC_GRID)));
  const h = Math.max(1, Math.min(side, Math.floor(height / REC_GRID)));
  const out: Rect[] = [];
  for (let j = 0; j < REC_GRID; j++) {
    for (let i = 0; i < REC_GRID; i++) {
      const x = Math.min(width - w, Math.max(0, Math.round(((i + 0.5) * width) / REC_GRID - w / 2)));
      const y = Math.min(height - h, Math.max(0, Math.round(((j + 0.5) * height) / REC_GRID - h / 2)));
      out.push({ x, y, w, h });
    }
  }
  return out;
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
    return centred(t);
  }
  return centred(new TfTrainer(backend ?? 'cpu', shape, w));
}

/** The kernel of a run: given by the caller (options or context), or none (bicubic). */
function kernelOf(ctx: UpscaleContext, opts: ZssrOptions): number[][] | undefined {
  const k = opts.kernel ?? ctx.kernel;
  if (!k && ctx.zssr?.kernel_path) {
    throw new StudioError('E_CONFIG_INVALID', `kernel_path ${ctx.zssr.kernel_path} was not read: pass the kernel it holds (imaging's loadKernelFile) in the context`);
  }
  if (!k) return undefined;
  const sum = k.flat().reduce((a, b) => a + b, 0);
  if (!(sum > 0) || k.some((r) => r.length !== k[0].length)) throw new StudioError('E_KERNEL_INVALID', 'a blur kernel must be a rectangular matrix with a positive sum');
  return k.map((r) => r.map((v) => v / sum));
}

/** Output size of a stage: the photo's size times its scale, rounded (the rule of every method). */
function stageSize(img: FloatImage, s: Factor): { width: number; height: number } {
  return { width: Math.max(1, Math.round(img.width * s.x)), height: Math.max(1, Math.round(img.height * s.y)) };
}

/**
 * Zero-shot super-resolution (Shocher, Cohen, Irani 2018) of one photo: trains a small residual
 * CNN on the photo itself (fathers: crops of the photo, its rotations/flips and scaled, sheared
 * copies; sons: the fathers degraded by the scale), with the original learning-rate policy,
 * gradual steps, an 8-way self-ensemble (median) and guarded back-projection.
 */
export async function zssrUpscale(img: FloatImage, ctx: UpscaleContext, opts: ZssrOptions = {}): Promise<FloatImage> {
  if (ctx.signal?.aborted) throw cancelled();
  const kernel = kernelOf(ctx, opts);
  const cfg = resolveConfig(ctx.scale, ctx.preset ?? 'balanced', ctx.zssr ?? {}, kernel ? { kernel } : {});
  const rgb = toRgb(img);
  const grayOut = img.channels === 1 || cfg.in_channels === 1;
  const input = cfg.in_channels === 1 ? toRgb(toGray(rgb)) : rgb;
  const rs = kernel ? kernelResampler(kernel) : bicubicResampler;
  const shape: NetShape = { depth: cfg.model_depth, width: cfg.model_width, kernel: cfg.model_kernel_size };
  const T = cfg.stages.length;
  const key = zssrCacheKey(input, ctx.scale, cfg, rs.id);
  const store = opts.noCache ? undefined : ctx.store;

  let cached: ConvNetWeights[] | undefined;
  const stored = store ? await store.get(key) : undefined;
  if (stored) cached = fromStoredModel(stored, shape, T);
  const netUsed = stored?.meta.netUsed;
  const cachedNetUsed = Array.isArray(netUsed) ? netUsed.map((v) => v !== false) : undefined;
  let warm: { weights: ConvNetWeights[]; targetLoss: number; from: string } | undefined;
  if (!cached && store?.findSimilar && ctx.hints && Object.keys(ctx.hints).length) {
    const sim = await store.findSimilar(ctx.hints);
    const w = sim ? fromStoredModel(sim, shape, T) : undefined;
    const target = sim?.meta.finalLoss;
    if (sim && w && typeof target === 'number' && Number.isFinite(target)) warm = { weights: w, targetLoss: target, from: String(sim.meta.key ?? '') };
  }

  const rng = new PairedNormalRng(0);
  const fresh = (): ConvNetWeights => initWeights(shape, rng);
  const trainer = await makeTrainer(cfg, ctx, shape, opts.threads, cached?.[0] ?? warm?.weights[0] ?? fresh());
  ctx.onEvent?.({ backend: trainer.backend, cacheHit: !!cached, message: cached ? 'cache hit: trained model reused, no training' : `training on ${trainer.backend} (${trainer.detail})` });

  const report: ZssrReport = { key, cacheHit: !!cached, backend: trainer.backend, detail: trainer.detail, steps: [], trainMs: 0, inferMs: 0, finalLoss: NaN, decays: [], noGain: [], backProjection: [] };
  if (warm) report.warmStartFrom = warm.from;
  // Back-projection on a real photo stops at its noise level (closer would copy the noise).
  const bpFloor = cfg.real_photo ? Math.max(cfg.noise_std, estimateNoiseStd(input)) : 0;
  const stageWeights: ConvNetWeights[] = [];
  try {
    // Fathers come from the photo and every earlier result (the original's hr_fathers_sources).
    const sources: FloatImage[] = [input];
    const baseScales = [1];
    const outputs: FloatImage[] = [];
    for (let s = 0; s < T; s++) {
      const stage = cfg.stages[s];
      const base = stage.base < 0 ? input : outputs[stage.base];
      const last = s === T - 1;
      let useNet = true;
      if (cached) {
        trainer.setWeights(cached[s]);
        useNet = cachedNetUsed?.[s] ?? true;
      } else {
        if (s > 0 && warm) trainer.setWeights(warm.weights[s]);
        else if (s > 0 && cfg.init_net_for_each_sf) trainer.setWeights(fresh());
        trainer.resetOptimizer();
        const checkpoint =
          last && opts.onCheckpoint
            ? (step: number, trainedMs: number): void =>
                opts.onCheckpoint?.({ step, trainMs: report.trainMs + trainedMs, render: () => quickRender(trainer, base, stage, img, rs, bpFloor) })
            : undefined;
        // After this training: enlarging this stage and every later one, and training the later ones.
        const restAfter = (forwardMsPerPixel: number, stepMs: number): number => {
          let ms = 0;
          for (let t = s; t < T; t++) ms += enlargeWork(cfg, input, t) * forwardMsPerPixel + (t > s ? cfg.num_epochs * stepMs : 0);
          return ms;
        };
        const r = await trainStage(trainer, { sources, baseScales, base, stage, index: s, count: T, restAfter }, cfg, rs, rng, ctx, warm?.targetLoss, checkpoint, opts.checkpointEvery ?? 100);
        report.trainMs += r.trainMs;
        report.steps.push(r.steps);
        report.decays.push(r.decays);
        report.noGain.push(r.noGain);
        useNet = !r.noGain;
        report.finalLoss = r.finalLoss;
        stageWeights.push(trainer.getWeights());
      }
      const t1 = performance.now();
      const out = await inferStage(useNet ? trainer : undefined, base, stage, stageSize(input, stage.scale), cfg, rs, ctx, s, bpFloor);
      report.backProjection.push({ iterations: out.bp.iterations, ...(out.bp.stopped ? { stopped: out.bp.stopped } : {}) });
      report.inferMs += performance.now() - t1;
      outputs.push(out.image);
      if (!last) {
        sources.push(out.image);
        baseScales.push(Math.min(stage.scale.x, stage.scale.y));
      }
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
        netUsed: report.noGain.map((n) => !n),
      };
      await store.put(key, toStoredModel(stageWeights, shape, meta));
    }
    opts.onReport?.(report);
    const result = outputs[T - 1];
    return grayOut ? toGray(result) : result;
  } finally {
    await trainer.dispose();
  }
}

interface StageData {
  sources: FloatImage[];
  baseScales: number[];
  /** The image this stage enlarges (the photo, or an earlier result after a base change). */
  base: FloatImage;
  stage: ZssrStage;
  index: number;
  count: number;
  /**
   * The time the run still needs after this stage's training, from the net's measured speed:
   * a forward pass per pixel and a training step, in milliseconds.
   */
  restAfter?: (forwardMsPerPixel: number, stepMs: number) => number;
}

async function trainStage(
  trainer: ZssrTrainer,
  data: StageData,
  cfg: EffectiveZssrConfig,
  rs: Resampler,
  rng: Rng,
  ctx: UpscaleContext,
  warmTarget: number | undefined,
  checkpoint: ((step: number, trainedMs: number) => void) | undefined,
  checkpointEvery: number,
): Promise<{ steps: number; finalLoss: number; decays: number[]; noGain: boolean; trainMs: number }> {
  const { stage, base } = data;
  const f = stage.factor;
  const margin = sonMargin(f, rs);
  // The learning-rate policy watches how well the net rebuilds the photo from its own son
  // (windows spread over big photos; noise-free, so the measurement is repeatable).
  const windows = measureWindows(base.width, base.height, REC_MAX_PIXELS).map((rec) => {
    const rx = Math.max(0, rec.x - margin), ry = Math.max(0, rec.y - margin);
    const region = crop(base, rx, ry, Math.min(base.width, rec.x + rec.w + margin) - rx, Math.min(base.height, rec.y + rec.h + margin) - ry);
    return { input: crop(makeSon(region, f, rs, 0, undefined), rec.x - rx, rec.y - ry, rec.w, rec.h), target: crop(base, rec.x, rec.y, rec.w, rec.h) };
  });
  const recPixels = windows.reduce((n, w) => n + w.input.width * w.input.height, 0);
  // Equal windows: the mean of their errors is the error over all of them.
  const recError = (run: (img: FloatImage) => FloatImage): number => mean(windows.map((w) => mse(run(w.input), w.target)));
  const interpError = recError((img) => img);

  const policy = new LrPolicy(cfg);
  const losses: number[] = [];
  let lastEmit = 0;
  let emittedStep = 0;
  let step = 0;
  let noGain = false;
  let lastError = Infinity;
  let lastErrorStep = -1;
  let trainMs = 0;
  /** The net's forward pass on this machine, timed on the reconstruction measurements. */
  let forwardMsPerPixel: number | undefined;
  const stageNote = data.count > 1 ? `stage ${data.index + 1}/${data.count}` : undefined;
  const emit = (n: number, loss: number): void => {
    emittedStep = n;
    const restMs = forwardMsPerPixel !== undefined && data.restAfter ? data.restAfter(forwardMsPerPixel, trainMs / Math.max(1, n)) : undefined;
    // The job's train events carry the ETA; a text message only marks a new gradual stage.
    ctx.onProgress?.({
      phase: 'train',
      done: n,
      total: cfg.num_epochs,
      step: n,
      loss,
      lr: policy.rateAt(n - 1),
      ...(restMs !== undefined ? { restMs } : {}),
      ...(n === 1 && stageNote ? { message: stageNote } : {}),
    });
  };
  for (; step < cfg.num_epochs; step++) {
    if (ctx.signal?.aborted) throw cancelled();
    const t0 = performance.now();
    const fc = randomFather(data.sources, data.baseScales, cfg.augment, cfg.crop_size, margin, rng);
    const { x, y, width: w, height: h } = fc.inner;
    const son = crop(makeSon(fc.ext, f, rs, cfg.noise_std, rng), x, y, w, h);
    const father = crop(fc.ext, x, y, w, h);
    const loss = trainer.step(son, father, policy.rateAt(step));
    losses.push(loss);
    let stop = false;
    if (policy.measures(step)) {
      const f0 = performance.now();
      const err = recError((img) => trainer.forward(img));
      forwardMsPerPixel = (performance.now() - f0) / recPixels;
      policy.record(step, err);
      const before = step >= NO_GAIN_FROM_STEP ? policy.errorAt(step - NO_GAIN_SPAN) : undefined;
      if (before !== undefined && err > NO_GAIN_TOLERANCE * interpError && (err > NO_GAIN_TOLERANCE * before || step >= NO_GAIN_FROM_STEP + NO_GAIN_SPAN)) noGain = stop = true;
      lastError = err;
      lastErrorStep = step;
    }
    policy.update(step);
    trainMs += performance.now() - t0;
    const now = performance.now();
    if (now - lastEmit > 250 || step === 0) {
      lastEmit = now;
      emit(step + 1, loss);
    }
    if (policy.finished || stop || (warmTarget !== undefined && losses.length >= 20 && mean(losses.slice(-20)) <= warmTarget)) {
      step++;
      break;
    }
    if (checkpoint && (step + 1) % checkpointEvery === 0) checkpoint(step + 1, trainMs);
    await yieldToEvents();
  }
  // The network as it ends up must beat interpolation on the photo itself to be used.
  if (!noGain && losses.length) {
    if (lastErrorStep !== step - 1) lastError = recError((img) => trainer.forward(img));
    noGain = !(lastError < interpError);
  }
  // The last step's own event (once), then a close without a loss: no second event for that step.
  if (emittedStep !== step && losses.length) emit(step, losses[losses.length - 1]);
  const why = noGain
    ? `; the network did not rebuild the photo better than interpolation (RMS ${Math.sqrt(lastError).toFixed(4)} against ${Math.sqrt(interpError).toFixed(4)}), so it is not used: the result is interpolation and back-projection`
    : `${policy.finished ? ' (learning rate below lr_stop)' : ''}; rebuilds the photo with RMS ${Math.sqrt(lastError).toFixed(4)} (interpolation ${Math.sqrt(interpError).toFixed(4)})`;
  ctx.onProgress?.({ phase: 'train', done: cfg.num_epochs, total: cfg.num_epochs, message: `${stageNote ? `${stageNote}: ` : ''}trained ${step} steps${why}` });
  return { steps: step, finalLoss: mean(losses.slice(-50)), decays: policy.decays, noGain, trainMs };
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN;
}

/** One pass of the network over the interpolated base, back-projected (checkpoints). */
function quickRender(trainer: ZssrTrainer, base: FloatImage, stage: ZssrStage, photo: FloatImage, rs: Resampler, bpFloor: number): FloatImage {
  const size = stageSize(photo, stage.scale);
  const out = trainer.forward(rs.up(base, stage.factor, size.width, size.height));
  return backProject(out, base, stage.factor, rs, stage.bpIters, bpFloor).image;
}

/** The variants a stage's enlarging runs the net on (one pass each over the enlarged photo). */
function ensembleOf(cfg: EffectiveZssrConfig, stage: ZssrStage, pixels: number): number[] {
  const ensemble = cfg.ensemble === 'auto' ? pixels <= AUTO_ENSEMBLE_MAX_PIXELS : cfg.ensemble;
  return ensemble ? ensembleVariants(stage.factor) : [0];
}

/** Pixels the net runs over to enlarge stage `s` (its output size times the ensemble's passes). */
function enlargeWork(cfg: EffectiveZssrConfig, input: FloatImage, s: number): number {
  const size = stageSize(input, cfg.stages[s].scale);
  const pixels = size.width * size.height;
  return pixels * ensembleOf(cfg, cfg.stages[s], pixels).length;
}

/** The dihedral variants the ensemble may use: all 8, or only those that keep the axes when the factor differs per axis. */
function ensembleVariants(f: Factor): number[] {
  return f.x === f.y ? [0, 1, 2, 3, 4, 5, 6, 7] : [0, 2, 4, 6];
}

async function inferStage(
  trainer: ZssrTrainer | undefined,
  base: FloatImage,
  stage: ZssrStage,
  size: { width: number; height: number },
  cfg: EffectiveZssrConfig,
  rs: Resampler,
  ctx: UpscaleContext,
  index: number,
  bpFloor: number,
): Promise<{ image: FloatImage; bp: ReturnType<typeof backProject> }> {
  const up = rs.up(base, stage.factor, size.width, size.height);
  const bp = (y: FloatImage): ReturnType<typeof backProject> => backProject(y, base, stage.factor, rs, stage.bpIters, bpFloor);
  if (!trainer) {
    // No network for this stage: interpolation and back-projection alone.
    const r = bp(up);
    ctx.onProgress?.({ phase: 'infer', done: 1, total: 1 });
    return { image: r.image, bp: r };
  }
  const net = trainer;
  const pixels = up.width * up.height;
  const variants = ensembleOf(cfg, stage, pixels);
  // Faithful path (each member back-projected, then the median, then back-projected again)
  // keeps the members in memory; above 4 MP the median is taken inside each tile instead.
  const perMember = variants.length > 1 && pixels <= AUTO_ENSEMBLE_MAX_PIXELS;
  const passes = perMember ? variants.length : 1;
  let tilesDone = 0;
  const stageNote = cfg.stages.length > 1 ? `stage ${index + 1}/${cfg.stages.length} · ` : '';
  const tiled = async (img: FloatImage, fn: (tile: FloatImage) => FloatImage): Promise<FloatImage> =>
    inferTiled(
      img,
      {
        scale: 1,
        tile: Math.max(cfg.patch_size, 8 * cfg.model_depth),
        overlap: 4 * cfg.model_depth,
        margin: cfg.model_depth + 1,
        signal: ctx.signal,
        onTile: (done, total) => {
          // Each pass announces its count first: only the first pass's announcement is news.
          if (done === 0 && tilesDone > 0) return;
          if (done > 0) tilesDone++;
          ctx.onProgress?.({ phase: 'infer', done: tilesDone, total: total * passes, unit: 'tiles', message: `${stageNote}tile ${tilesDone}/${total * passes}` });
        },
      },
      async (tile) => {
        await yieldToEvents();
        if (ctx.signal?.aborted) throw cancelled();
        return fn(tile);
      },
    );
  if (perMember) {
    const outs: FloatImage[] = [];
    for (const k of variants) outs.push(bp(undihedral(await tiled(dihedral(up, k), (t) => net.forward(t)), k)).image);
    const m = bp(median(outs));
    return { image: m.image, bp: m };
  }
  const fn =
    variants.length > 1 ? (t: FloatImage): FloatImage => median(variants.map((k) => undihedral(net.forward(dihedral(t, k)), k))) : (t: FloatImage): FloatImage => net.forward(t);
  const r = bp(await tiled(up, fn));
  return { image: r.image, bp: r };
}
