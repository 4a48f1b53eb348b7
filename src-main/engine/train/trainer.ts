// `studio train`: learn an upscaler from a folder of HR photos. Epochs of random augmented crops,
// validation PSNR/SSIM every epoch, early stopping with patience, the best weights kept as the
// model, a checkpoint after every epoch to resume from, and a loss/PSNR curve image.
import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../contract/errors';
import type { EngineProgress } from '../../contract/image';
import type { BackendPreference } from '../../contract/enhance';
import { srMetrics } from '../../metrics';
import { ensureBackend } from '../backend';
import { imresize } from '../classical/imresize';
import { saveArtifacts } from '../pretrained/model-files';
import { registerUpscaler } from '../registry';
import type { Upscaler } from '../upscaler';
import { upStages, type ArchConfig, type ArchName } from './archs';
import { curveSvg } from './curve';
import { buildValSet, checkImages, findDataset, ImageCache, PatchSampler, type Batch, type DecodeFn } from './dataset';
import { createLearner, frozenNet, type Learner, type NamedWeight } from './learners';
import { Rng } from './rng';
import { loadUserModel, readWeights, saveUserModel, userModelDir, type UserModelMeta } from './user-models';

export interface TrainConfig {
  name: string;
  arch: ArchName;
  scale: number;
  width: number;
  depth: number;
  /** LR crop side; the HR crop is patch * scale. */
  patch: number;
  batch: number;
  stepsPerEpoch: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation loss. */
  patience: number;
  lr: number;
  valFraction: number;
  /** Validation crops per validation image. */
  valCrops: number;
  seed: number;
  /** gan: weight of the least-squares adversarial loss against the L1 content loss. */
  advWeight: number;
  /** gan: epochs of L1-only generator training before the discriminator joins. */
  warmupEpochs: number;
}

/** Defaults per architecture: document 000's CNN is 8 x 64; the GAN is narrower to stay trainable on a CPU. */
export function defaultConfig(arch: ArchName, name: string, scale: number): TrainConfig {
  const base = { name, arch, scale, patch: 24, stepsPerEpoch: 50, maxEpochs: 100, patience: 5, valFraction: 0.1, valCrops: 4, seed: 1, advWeight: 1e-3, warmupEpochs: 1 };
  switch (arch) {
    case 'cnn':
      return { ...base, width: 64, depth: 8, batch: 16, lr: 1e-4 };
    case 'residual':
      return { ...base, width: 64, depth: 8, batch: 4, lr: 1e-3 };
    case 'gan':
      return { ...base, width: 32, depth: 6, batch: 8, lr: 1e-4 };
  }
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  dLoss?: number;
  valLoss: number;
  psnr: number;
  ssim: number;
  seconds: number;
  improved: boolean;
}

export interface TrainResult {
  id: string;
  dir: string;
  curve: string;
  history: EpochRecord[];
  bestEpoch: number;
  best: { valLoss: number; psnr: number; ssim: number };
  bicubicPsnr: number;
  /** Validation PSNR of the model as read back from disk (equals best.psnr when the file is sound). */
  verifiedPsnr: number;
  stoppedEarly: boolean;
  resumedFrom?: number;
  detail: string;
}

export interface TrainDeps {
  /** Studio data folder; the model goes to <dataDir>/models/<name>/. */
  dataDir: string;
  decode: DecodeFn;
  /** SVG -> PNG for curve.png (imaging's svgToPng). */
  rasterise: (svg: string) => Promise<Buffer>;
  backend?: BackendPreference;
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  onEpoch?: (r: EpochRecord) => void;
  log?: (msg: string) => void;
}

export interface TrainRunOptions {
  /** Continue from <dir>/checkpoint (the saved config wins over the given one). */
  resume?: boolean;
  /** Replace an existing model of the same name. */
  overwrite?: boolean;
}

interface State {
  config: TrainConfig;
  dataset: string;
  epoch: number;
  bestEpoch: number;
  bestVal: number;
  badEpochs: number;
  rng: number;
  history: EpochRecord[];
}

function validateConfig(c: TrainConfig): void {
  const bad = (m: string) => new StudioError('E_INVALID_ARGUMENT', m);
  upStages(c.scale);
  if (!Number.isInteger(c.width) || c.width < 4 || c.width > 256) throw bad(`width must be 4..256, got ${c.width}`);
  if (!Number.isInteger(c.depth) || c.depth < 2 || c.depth > 32) throw bad(`depth must be 2..32, got ${c.depth}`);
  if (!Number.isInteger(c.patch) || c.patch < 8 || c.patch > 128) throw bad(`patch must be 8..128 LR pixels, got ${c.patch}`);
  if (!Number.isInteger(c.batch) || c.batch < 1 || c.batch > 64) throw bad(`batch must be 1..64, got ${c.batch}`);
  if (!(c.lr > 0 && c.lr < 1)) throw bad(`learning rate must be in (0, 1), got ${c.lr}`);
  if (!Number.isInteger(c.maxEpochs) || c.maxEpochs < 1) throw bad(`epochs must be a positive whole number, got ${c.maxEpochs}`);
  if (!Number.isInteger(c.stepsPerEpoch) || c.stepsPerEpoch < 1) throw bad(`steps per epoch must be a positive whole number, got ${c.stepsPerEpoch}`);
  if (!Number.isInteger(c.patience) || c.patience < 1) throw bad(`patience must be a positive whole number, got ${c.patience}`);
}

const meanOf = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

/** Validation loss (the training loss's content term), PSNR and SSIM (Y, shave = scale). */
export async function evaluate(learner: Pick<Learner, 'config' | 'predict'>, val: Batch): Promise<{ valLoss: number; psnr: number; ssim: number }> {
  const pred = await learner.predict(val);
  const hs = val.P * val.scale;
  const per = hs * hs * 3;
  const losses: number[] = [];
  const psnr: number[] = [];
  const ssim: number[] = [];
  const mse = learner.config.arch === 'cnn';
  for (let i = 0; i < val.n; i++) {
    const sr = { width: hs, height: hs, channels: 3 as const, data: pred.subarray(i * per, (i + 1) * per) };
    const hr = { width: hs, height: hs, channels: 3 as const, data: val.hr.subarray(i * per, (i + 1) * per) };
    let e = 0;
    for (let k = 0; k < per; k++) {
      const d = sr.data[k] - hr.data[k];
      e += mse ? d * d : Math.abs(d);
    }
    losses.push(e / per);
    const m = srMetrics(hr, sr, val.scale);
    psnr.push(m.psnr);
    ssim.push(m.ssim);
  }
  return { valLoss: meanOf(losses), psnr: meanOf(psnr), ssim: meanOf(ssim) };
}

function bicubicPsnr(val: Batch): number {
  const hs = val.P * val.scale;
  const per = hs * hs * 3;
  const lrPer = val.P * val.P * 3;
  const out: number[] = [];
  for (let i = 0; i < val.n; i++) {
    const lr = { width: val.P, height: val.P, channels: 3 as const, data: val.lr.subarray(i * lrPer, (i + 1) * lrPer) };
    const up = imresize(lr, { scale: val.scale });
    out.push(srMetrics({ width: hs, height: hs, channels: 3, data: val.hr.subarray(i * per, (i + 1) * per) }, up, val.scale).psnr);
  }
  return meanOf(out);
}

async function saveCheckpoint(dir: string, state: State, weights: NamedWeight[]): Promise<void> {
  const ckDir = path.join(dir, 'checkpoint');
  const specs = weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const }));
  const buf = new Float32Array(weights.reduce((n, w) => n + w.data.length, 0));
  let at = 0;
  for (const w of weights) {
    buf.set(w.data, at);
    at += w.data.length;
  }
  await saveArtifacts(ckDir, { weightSpecs: specs, weightData: buf.buffer, userDefinedMetadata: { state } });
}

async function exists(p: string): Promise<boolean> {
  return fs
    .stat(p)
    .then(() => true)
    .catch(() => false);
}

/**
 * Train a model from the HR images in `datasetDir` and register it as 'user:<name>'.
 * Progress: phase 'decode' while the images are checked, then 'train' per step.
 */
export async function trainModel(datasetDir: string, given: TrainConfig, deps: TrainDeps, run: TrainRunOptions = {}): Promise<TrainResult> {
  const dir = userModelDir(deps.dataDir, given.name);
  const log = deps.log ?? (() => undefined);
  let state: State | undefined;
  let ckWeights: NamedWeight[] | undefined;
  if (run.resume) {
    const ck = path.join(dir, 'checkpoint');
    if (!(await exists(path.join(ck, 'model.json')))) throw new StudioError('E_NOT_FOUND', `no checkpoint to resume in ${ck}; train without --resume first`);
    const r = await readWeights(ck);
    state = (r.meta as { state?: State } | undefined)?.state;
    if (!state) throw new StudioError('E_TRAINING_FAILED', `checkpoint in ${ck} has no training state`);
    ckWeights = r.weights;
    // The run's shape comes from the checkpoint; only the stopping rules may change.
    state.config = { ...state.config, maxEpochs: given.maxEpochs, patience: given.patience };
    log(`resuming '${given.name}' after epoch ${state.epoch}`);
  } else if (await exists(dir)) {
    if (!run.overwrite) throw new StudioError('E_INVALID_ARGUMENT', `a model named '${given.name}' already exists in ${dir}; choose another name, resume it, or overwrite it`);
    await fs.rm(dir, { recursive: true, force: true });
  }
  const cfg = state?.config ?? given;
  validateConfig(cfg);
  const dataset = state?.dataset ?? path.resolve(datasetDir);

  const backend = await ensureBackend(deps.backend ?? 'auto');
  const split = await findDataset(dataset, cfg.valFraction);
  const cache = new ImageCache(deps.decode);
  const hrCrop = cfg.patch * cfg.scale;
  const all = [...split.train, ...split.val];
  log(`${split.train.length} training and ${split.val.length} validation images (${split.layout} layout) in ${dataset}`);
  await checkImages(all, cache, hrCrop, (done, total) => deps.onProgress?.({ phase: 'decode', done, total, message: 'checking images' }), deps.signal);

  const arch: ArchConfig = { arch: cfg.arch, scale: cfg.scale, width: cfg.width, depth: cfg.depth };
  const rng = new Rng(cfg.seed);
  const withIlr = cfg.arch === 'residual';
  // Validation crops: twice the training crop where the images allow, fixed for the whole run.
  const minLr = Math.min(...(await Promise.all(split.val.map(async (f) => cache.get(f)))).map((i) => Math.floor(Math.min(i.width, i.height) / cfg.scale)));
  const valP = Math.max(cfg.patch, Math.min(2 * cfg.patch, minLr));
  const val = await buildValSet(split.val, cache, cfg.scale, valP, cfg.valCrops, new Rng(cfg.seed ^ 0x5eed), withIlr);
  const bicubic = bicubicPsnr(val);

  const learner = await createLearner(arch, { lr: cfg.lr, advWeight: cfg.advWeight }, rng, cfg.patch);
  log(`training ${cfg.arch} x${cfg.scale} (${cfg.depth} x ${cfg.width}) on ${backend}: ${learner.detail}`);
  const st: State = state ?? { config: cfg, dataset, epoch: 0, bestEpoch: 0, bestVal: Infinity, badEpochs: 0, rng: rng.state, history: [] };
  const resumedFrom = state ? state.epoch : undefined;
  try {
    if (ckWeights) await learner.restore(ckWeights);
    rng.state = st.rng;
    const sampler = new PatchSampler(split.train, cache, cfg.scale, cfg.patch, withIlr, rng, Math.max(1, cfg.batch));
    await fs.mkdir(dir, { recursive: true });
    const totalSteps = cfg.maxEpochs * cfg.stepsPerEpoch;
    let stoppedEarly = st.badEpochs >= cfg.patience;
    while (!stoppedEarly && st.epoch < cfg.maxEpochs) {
      const epoch = st.epoch + 1;
      const t0 = Date.now();
      const adversarial = cfg.arch === 'gan' && epoch > cfg.warmupEpochs;
      const losses: number[] = [];
      const dLosses: number[] = [];
      for (let s = 0; s < cfg.stepsPerEpoch; s++) {
        if (deps.signal?.aborted) throw new StudioError('E_CANCELLED', `training cancelled in epoch ${epoch}; resume continues after epoch ${st.epoch}`);
        const b = await sampler.batch(cfg.batch);
        const r = await learner.trainStep(b, adversarial);
        if (!Number.isFinite(r.loss)) throw new StudioError('E_TRAINING_FAILED', `the loss became ${r.loss} in epoch ${epoch}; lower the learning rate`);
        losses.push(r.loss);
        if (r.dLoss !== undefined) dLosses.push(r.dLoss);
        deps.onProgress?.({ phase: 'train', done: st.epoch * cfg.stepsPerEpoch + s + 1, total: totalSteps, step: s + 1, loss: r.loss, lr: cfg.lr, message: `epoch ${epoch}/${cfg.maxEpochs}` });
      }
      const v = await evaluate(learner, val);
      const improved = v.valLoss < st.bestVal;
      const rec: EpochRecord = { epoch, trainLoss: meanOf(losses), ...(dLosses.length ? { dLoss: meanOf(dLosses) } : {}), ...v, seconds: (Date.now() - t0) / 1000, improved };
      st.history.push(rec);
      st.epoch = epoch;
      if (improved) {
        st.bestVal = v.valLoss;
        st.bestEpoch = epoch;
        st.badEpochs = 0;
      } else st.badEpochs++;
      stoppedEarly = st.badEpochs >= cfg.patience && epoch < cfg.maxEpochs;
      const best = st.history.find((h) => h.epoch === st.bestEpoch) as EpochRecord;
      const meta: UserModelMeta = {
        kind: 'loupe-studio-user-model',
        version: 1,
        name: cfg.name,
        arch: cfg.arch,
        scale: cfg.scale,
        width: cfg.width,
        depth: cfg.depth,
        created: new Date().toISOString(),
        dataset,
        trainImages: split.train.length,
        valImages: split.val.length,
        epochs: epoch,
        bestEpoch: st.bestEpoch,
        valLoss: best.valLoss,
        psnr: best.psnr,
        ssim: best.ssim,
        bicubicPsnr: bicubic,
        stoppedEarly,
      };
      if (improved) await saveUserModel(dir, meta, await learner.weights());
      else {
        // Keep the best weights; only the metadata (epochs run, stop reason) changes.
        const cur = await readWeights(dir);
        await saveUserModel(dir, meta, cur.weights);
      }
      st.rng = rng.state;
      await saveCheckpoint(dir, st, await learner.checkpoint());
      await fs.writeFile(path.join(dir, 'history.json'), JSON.stringify({ config: cfg, bicubicPsnr: bicubic, history: st.history }, null, 2));
      await fs.writeFile(
        path.join(dir, 'curve.png'),
        await deps.rasterise(curveSvg(st.history, { bicubicPsnr: bicubic, bestEpoch: st.bestEpoch, title: `${cfg.name}: ${cfg.arch} x${cfg.scale}` })),
      );
      deps.onEpoch?.(rec);
      log(
        `epoch ${epoch}: train ${rec.trainLoss.toExponential(3)} val ${v.valLoss.toExponential(3)} PSNR ${v.psnr.toFixed(2)} dB SSIM ${v.ssim.toFixed(4)}${improved ? ' (best)' : ''} ${rec.seconds.toFixed(1)} s`,
      );
    }
    // Read the saved model back and score it again: the file must reproduce the best epoch.
    const saved = await readWeights(dir);
    const verified = await evaluate(frozenNet(arch, saved.weights), val);
    const upscaler: Upscaler = await loadUserModel(dir);
    registerUpscaler(upscaler);
    const best = st.history.find((h) => h.epoch === st.bestEpoch) as EpochRecord;
    return {
      id: upscaler.info.id,
      dir,
      curve: path.join(dir, 'curve.png'),
      history: st.history,
      bestEpoch: st.bestEpoch,
      best: { valLoss: best.valLoss, psnr: best.psnr, ssim: best.ssim },
      bicubicPsnr: bicubic,
      verifiedPsnr: verified.psnr,
      stoppedEarly,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
      detail: learner.detail,
    };
  } finally {
    await learner.dispose();
  }
}
