// What trains: tfjs autodiff learners for the CNN and the GAN (im2col convs, any backend), and
// the multi-threaded wasm ConvNet of engine/fast for the residual (ZSSR-kind) net.
import { StudioError } from '../../contract/errors';
import { ensureGradients, tf } from '../backend';
import { FastConvNet } from '../fast/convnet';
import { ganDiscriminator, imageNet, initWeights, type ArchConfig, type NetDef, type Params } from './archs';
import type { Batch } from './dataset';
import { trainingConvMode, type ConvMode } from './ops';
import type { Rng } from './rng';

export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface StepResult {
  /** The image net's loss (MSE for cnn, L1 for residual, L1 content + adversarial for gan). */
  loss: number;
  /** Discriminator loss (gan, after warm-up). */
  dLoss?: number;
}

export interface Learner {
  readonly config: ArchConfig;
  /** Human-readable engine detail for logs. */
  readonly detail: string;
  trainStep(b: Batch, adversarial: boolean): Promise<StepResult>;
  /** [0,1] HR predictions (NHWC) for a batch, by the inference path the saved model uses. */
  predict(b: Batch): Promise<Float32Array>;
  /** The image net's weights (what a saved model holds). */
  weights(): Promise<NamedWeight[]>;
  /** Everything to resume: weights, discriminator, optimizer moments. */
  checkpoint(): Promise<NamedWeight[]>;
  restore(w: NamedWeight[]): Promise<void>;
  dispose(): Promise<void>;
}

export interface LearnerOptions {
  lr: number;
  /** Weight of the least-squares adversarial term against the L1 content loss (gan). */
  advWeight: number;
}

let runCounter = 0;

/** Build tensors from named weights for an inference forward pass (caller disposes). */
export function paramsFrom(def: NetDef, weights: NamedWeight[]): Params {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const p: Params = {};
  for (const s of def.params) {
    const w = byName.get(s.name);
    if (!w || w.data.length !== s.shape.reduce((a, b) => a * b, 1)) throw new StudioError('E_MODEL_NOT_FOUND', `weights are missing or the wrong size for ${s.name}`);
    p[s.name] = tf.tensor(w.data, s.shape);
  }
  return p;
}

/**
 * Input tensor of the image net for a batch, in the net's range: LR in [0,1] (cnn), the
 * interpolated LR (residual) or LR in [-1,1] (gan).
 */
function netInput(c: ArchConfig, b: Batch): tf.Tensor4D {
  const hs = b.P * b.scale;
  if (c.arch === 'residual') {
    if (!b.ilr) throw new StudioError('E_INTERNAL', 'residual training needs interpolated inputs');
    return tf.tensor4d(b.ilr, [b.n, hs, hs, 3]);
  }
  const x = tf.tensor4d(b.lr, [b.n, b.P, b.P, 3]);
  return c.arch === 'gan' ? (tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D) : x;
}

/** Image net output mapped back to [0,1]. */
function netOutput(c: ArchConfig, y: tf.Tensor4D): tf.Tensor4D {
  const v = c.arch === 'gan' ? tf.div(tf.add(y, 1), 2) : y;
  return tf.clipByValue(v, 0, 1) as tf.Tensor4D;
}

/** A saved model's weights as a predict-only learner (verifies what was written to disk). */
export function frozenNet(config: ArchConfig, weights: NamedWeight[]): Pick<Learner, 'config' | 'predict'> {
  const def = imageNet(config);
  return {
    config,
    async predict(b: Batch): Promise<Float32Array> {
      const p = paramsFrom(def, weights);
      try {
        return await predictWith(config, def, p, b);
      } finally {
        tf.dispose(Object.values(p));
      }
    },
  };
}

async function predictWith(c: ArchConfig, def: NetDef, p: Params, b: Batch): Promise<Float32Array> {
  // One patch at a time keeps memory flat for big validation sets.
  const hs = b.P * b.scale;
  const per = b.lr.length / b.n;
  const perIlr = hs * hs * 3;
  const out = new Float32Array(b.n * hs * hs * 3);
  for (let i = 0; i < b.n; i++) {
    const one: Batch = { ...b, n: 1, lr: b.lr.subarray(i * per, (i + 1) * per), hr: b.hr, ...(b.ilr ? { ilr: b.ilr.subarray(i * perIlr, (i + 1) * perIlr) } : {}) };
    const y = tf.tidy(() => netOutput(c, def.forward(p, netInput(c, one), 'native')));
    out.set((await y.data()) as Float32Array, i * perIlr);
    y.dispose();
  }
  return out;
}

class TfLearner implements Learner {
  readonly detail: string;
  private readonly g: NetDef;
  private readonly d?: NetDef;
  private gVars: Record<string, tf.Variable> = {};
  private dVars: Record<string, tf.Variable> = {};
  private optG: tf.Optimizer;
  private optD?: tf.Optimizer;
  private readonly mode: ConvMode;

  constructor(
    readonly config: ArchConfig,
    private readonly opts: LearnerOptions,
    rng: Rng,
  ) {
    ensureGradients();
    this.mode = trainingConvMode();
    this.detail = `tfjs ${tf.getBackend()} (${this.mode} convolutions)`;
    const prefix = `train${++runCounter}`;
    this.g = imageNet(config);
    this.gVars = this.makeVars(`${prefix}/g`, this.g, rng);
    this.optG = tf.train.adam(opts.lr, 0.9, 0.999, 1e-8);
    if (config.arch === 'gan') {
      this.d = ganDiscriminator(config);
      this.dVars = this.makeVars(`${prefix}/d`, this.d, rng);
      this.optD = tf.train.adam(opts.lr, 0.9, 0.999, 1e-8);
    }
  }

  private makeVars(prefix: string, def: NetDef, rng: Rng): Record<string, tf.Variable> {
    const init = initWeights(def.params, rng);
    const out: Record<string, tf.Variable> = {};
    for (const s of def.params) {
      const t = tf.tensor(init.get(s.name) as Float32Array, s.shape);
      out[s.name] = tf.variable(t, true, `${prefix}/${s.name}`);
      t.dispose();
    }
    return out;
  }

  async trainStep(b: Batch, adversarial: boolean): Promise<StepResult> {
    const c = this.config;
    const hs = b.P * b.scale;
    const x = netInput(c, b);
    const yTrue = tf.tensor4d(b.hr, [b.n, hs, hs, 3]);
    try {
      if (c.arch !== 'gan') {
        // cnn: MSE (document 000); residual: L1 with biases fixed at zero, as ZSSR and engine/fast.
        const loss =
          c.arch === 'cnn'
            ? this.optG.minimize(() => tf.mean(tf.squaredDifference(this.g.forward(this.gVars, x, this.mode), yTrue)) as tf.Scalar, true, Object.values(this.gVars))
            : this.optG.minimize(
                () => tf.mean(tf.abs(tf.sub(this.g.forward(this.gVars, x, this.mode), yTrue))) as tf.Scalar,
                true,
                Object.entries(this.gVars)
                  .filter(([n]) => n.endsWith('/kernel'))
                  .map(([, v]) => v),
              );
        return { loss: await scalar(loss) };
      }
      const y = tf.tidy(() => tf.sub(tf.mul(yTrue, 2), 1) as tf.Tensor4D);
      const d = this.d as NetDef;
      let dLoss: number | undefined;
      if (adversarial) {
        const fake = tf.tidy(() => this.g.forward(this.gVars, x, this.mode));
        const l = (this.optD as tf.Optimizer).minimize(
          () => {
            const real = d.forward(this.dVars, y, this.mode);
            const fk = d.forward(this.dVars, fake, this.mode);
            return tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(real, 1))), tf.mean(tf.square(fk)))) as tf.Scalar;
          },
          true,
          Object.values(this.dVars),
        );
        fake.dispose();
        dLoss = await scalar(l);
      }
      const loss = this.optG.minimize(
        () => {
          const out = this.g.forward(this.gVars, x, this.mode);
          // Content loss in [0,1] units (the [-1,1] difference halved), comparable with the other nets.
          const content = tf.div(tf.mean(tf.abs(tf.sub(out, y))), 2);
          if (!adversarial) return content as tf.Scalar;
          const adv = tf.mul(0.5, tf.mean(tf.square(tf.sub(d.forward(this.dVars, out, this.mode), 1))));
          return tf.add(content, tf.mul(this.opts.advWeight, adv)) as tf.Scalar;
        },
        true,
        Object.values(this.gVars),
      );
      y.dispose();
      return dLoss === undefined ? { loss: await scalar(loss) } : { loss: await scalar(loss), dLoss };
    } finally {
      tf.dispose([x, yTrue]);
    }
  }

  predict(b: Batch): Promise<Float32Array> {
    return predictWith(this.config, this.g, this.gVars, b);
  }

  async weights(): Promise<NamedWeight[]> {
    return Promise.all(this.g.params.map(async (s) => ({ name: s.name, shape: s.shape, data: (await this.gVars[s.name].data()) as Float32Array })));
  }

  async checkpoint(): Promise<NamedWeight[]> {
    const out: NamedWeight[] = (await this.weights()).map((w) => ({ ...w, name: `g/${w.name}` }));
    if (this.d) for (const s of this.d.params) out.push({ name: `d/${s.name}`, shape: s.shape, data: (await this.dVars[s.name].data()) as Float32Array });
    const opts: [string, tf.Optimizer | undefined][] = [
      ['optG', this.optG],
      ['optD', this.optD],
    ];
    for (const [tag, opt] of opts) {
      if (!opt) continue;
      const ws = await opt.getWeights();
      for (const [i, w] of ws.entries()) out.push({ name: `${tag}/${i}`, shape: w.tensor.shape, data: Float32Array.from(await w.tensor.data()) });
    }
    return out;
  }

  async restore(w: NamedWeight[]): Promise<void> {
    const byName = new Map(w.map((x) => [x.name, x]));
    const assign = (vars: Record<string, tf.Variable>, prefix: string) => {
      for (const [name, v] of Object.entries(vars)) {
        const src = byName.get(`${prefix}/${name}`);
        if (!src) throw new StudioError('E_TRAINING_FAILED', `checkpoint lacks ${prefix}/${name}`);
        v.assign(tf.tensor(src.data, src.shape));
      }
    };
    tf.tidy(() => {
      assign(this.gVars, 'g');
      assign(this.dVars, 'd');
    });
    const opts: [string, tf.Optimizer | undefined][] = [
      ['optG', this.optG],
      ['optD', this.optD],
    ];
    for (const [tag, opt] of opts) {
      if (!opt) continue;
      const parts = w.filter((x) => x.name.startsWith(`${tag}/`)).sort((a, b) => Number(a.name.split('/')[1]) - Number(b.name.split('/')[1]));
      // Adam matches its moments to variables by position, and the variable order is fixed.
      if (parts.length) await opt.setWeights(parts.map((p) => ({ name: p.name, tensor: tf.tensor(p.data, p.shape) })));
    }
  }

  async dispose(): Promise<void> {
    tf.dispose([...Object.values(this.gVars), ...Object.values(this.dVars)]);
    this.optG.dispose();
    this.optD?.dispose();
  }
}

async function scalar(t: tf.Scalar | null): Promise<number> {
  if (!t) return NaN;
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

/**
 * The residual net on engine/fast's multi-threaded wasm SIMD kernels: one crop per Adam step (as
 * ZSSR), L1 loss, biases fixed at zero. Adam's moments live inside the kernels and are not part
 * of a checkpoint: a resumed run starts them afresh.
 */
class FastLearner implements Learner {
  readonly detail: string;
  private readonly def: NetDef;
  private constructor(
    readonly config: ArchConfig,
    private readonly net: FastConvNet,
    private readonly lr: number,
  ) {
    this.def = imageNet(config);
    this.detail = `engine/fast wasm kernels, ${net.threads} thread${net.threads > 1 ? 's' : ''}`;
  }

  static async create(config: ArchConfig, opts: LearnerOptions, rng: Rng, patch: number): Promise<FastLearner> {
    const side = patch * config.scale;
    const net = await FastConvNet.create({ depth: config.depth, width: config.width }, { maxCrop: { height: side, width: side }, trainBias: false });
    const l = new FastLearner(config, net, opts.lr);
    const init = initWeights(l.def.params, rng);
    net.setWeights({
      kernels: Array.from({ length: config.depth }, (_, i) => init.get(`conv${i}/kernel`) as Float32Array),
      biases: Array.from({ length: config.depth }, (_, i) => init.get(`conv${i}/bias`) as Float32Array),
    });
    return l;
  }

  async trainStep(b: Batch): Promise<StepResult> {
    const hs = b.P * b.scale;
    const per = hs * hs * 3;
    if (!b.ilr) throw new StudioError('E_INTERNAL', 'residual training needs interpolated inputs');
    let sum = 0;
    for (let i = 0; i < b.n; i++) {
      const input = { width: hs, height: hs, channels: 3 as const, data: b.ilr.subarray(i * per, (i + 1) * per) };
      const target = { width: hs, height: hs, channels: 3 as const, data: b.hr.subarray(i * per, (i + 1) * per) };
      sum += this.net.trainStep(input, target, this.lr);
    }
    return { loss: sum / b.n };
  }

  async predict(b: Batch): Promise<Float32Array> {
    const w = await this.weights();
    const p = paramsFrom(this.def, w);
    try {
      return await predictWith(this.config, this.def, p, b);
    } finally {
      tf.dispose(Object.values(p));
    }
  }

  async weights(): Promise<NamedWeight[]> {
    const w = this.net.getWeights();
    const c = this.config;
    const out: NamedWeight[] = [];
    for (let l = 0; l < c.depth; l++) {
      const ci = l === 0 ? 3 : c.width;
      const co = l === c.depth - 1 ? 3 : c.width;
      out.push({ name: `conv${l}/kernel`, shape: [3, 3, ci, co], data: w.kernels[l] });
      out.push({ name: `conv${l}/bias`, shape: [co], data: w.biases[l] });
    }
    return out;
  }

  async checkpoint(): Promise<NamedWeight[]> {
    return (await this.weights()).map((w) => ({ ...w, name: `g/${w.name}` }));
  }

  async restore(w: NamedWeight[]): Promise<void> {
    const get = (n: string) => {
      const x = w.find((v) => v.name === `g/${n}`);
      if (!x) throw new StudioError('E_TRAINING_FAILED', `checkpoint lacks ${n}`);
      return x.data;
    };
    const d = this.config.depth;
    this.net.setWeights({
      kernels: Array.from({ length: d }, (_, l) => get(`conv${l}/kernel`)),
      biases: Array.from({ length: d }, (_, l) => get(`conv${l}/bias`)),
    });
    this.net.resetOptimizer();
  }

  dispose(): Promise<void> {
    return this.net.dispose();
  }
}

/** The learner for an architecture: the fast kernels for the residual net when they can run it. */
export async function createLearner(config: ArchConfig, opts: LearnerOptions, rng: Rng, patch: number): Promise<Learner> {
  if (config.arch === 'residual' && config.width % 4 === 0 && tf.getBackend() !== 'tensorflow' && tf.getBackend() !== 'webgpu') {
    return FastLearner.create(config, opts, rng, patch);
  }
  return new TfLearner(config, opts, rng);
}
