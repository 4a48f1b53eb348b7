import type { BackendName } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import type { FloatImage } from '../../contract/image';
import { ensureGradients, tf } from '../backend';
import { FastConvNet, defaultThreads, fastKernelFlavor, type ConvNetWeights } from '../fast/convnet';
import type { Rng } from '../train/rng';

/** What the ZSSR loop needs from a network, whatever runs it. */
export interface ZssrTrainer {
  readonly backend: BackendName;
  /** Human-readable engine detail, e.g. "wasm-simd-fma, 2 threads". */
  readonly detail: string;
  /** One Adam step on an (input, target) crop pair; returns the L1 loss before the update. */
  step(input: FloatImage, target: FloatImage, lr: number): number;
  /** input + net(input), unclipped, for a whole image. */
  forward(img: FloatImage): FloatImage;
  getWeights(): ConvNetWeights;
  setWeights(w: ConvNetWeights): void;
  /** A fresh optimizer state (new gradual-SR stage or warm start). */
  resetOptimizer(): void;
  dispose(): Promise<void>;
}

export interface NetShape {
  depth: number;
  width: number;
  kernel: number;
}

/**
 * ZSSR's initialisation (as the reference): N(0, sqrt(0.1 / (k*k*cin))) kernels, zero biases.
 * The biases stay zero (not trained): the original ZSSR's convolutions have none, and trained
 * biases let Adam push the tiny initial pre-activations negative until every ReLU is dead (the
 * net then outputs its input: measured, the reconstruction error never moves).
 */
export function initWeights(shape: NetShape, rng: Rng): ConvNetWeights {
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l < shape.depth; l++) {
    const ci = l === 0 ? 3 : shape.width;
    const co = l === shape.depth - 1 ? 3 : shape.width;
    const std = Math.sqrt(0.1 / (shape.kernel * shape.kernel * ci));
    const k = new Float32Array(shape.kernel * shape.kernel * ci * co);
    for (let i = 0; i < k.length; i++) k[i] = rng.normal() * std;
    kernels.push(k);
    biases.push(new Float32Array(co));
  }
  return { kernels, biases };
}

/**
 * The network sees the photo with mid-grey subtracted and adds it back to its output. Pixels are
 * all positive, so without biases a first-layer filter responds mostly to the brightness: Adam
 * can push every filter's sum negative and then every ReLU is off for every pixel, the residual
 * is zero and stays zero (measured: woman x2 learned nothing in 300 steps for one crop sequence
 * and 1.6 dB for another). Centred, each filter responds to the picture's structure, on for some
 * pixels and off for others. The same as a fixed first-layer bias of -0.5 x the filter's sum.
 */
export const INPUT_OFFSET = 0.5;

function shifted(img: FloatImage, by: number): FloatImage {
  const d = new Float32Array(img.data.length);
  for (let i = 0; i < d.length; i++) d[i] = img.data[i] + by;
  return { ...img, data: d };
}

/** `t` on inputs and targets moved by -INPUT_OFFSET, results moved back. */
export function centred(t: ZssrTrainer): ZssrTrainer {
  return {
    backend: t.backend,
    detail: t.detail,
    step: (input, target, lr) => t.step(shifted(input, -INPUT_OFFSET), shifted(target, -INPUT_OFFSET), lr),
    forward: (img) => {
      const out = t.forward(shifted(img, -INPUT_OFFSET));
      for (let i = 0; i < out.data.length; i++) out.data[i] += INPUT_OFFSET;
      return out;
    },
    getWeights: () => t.getWeights(),
    setWeights: (w) => t.setWeights(w),
    resetOptimizer: () => t.resetOptimizer(),
    dispose: () => t.dispose(),
  };
}

/** The hand-written multi-threaded wasm kernels (3x3 convolutions only). */
export class FastTrainer implements ZssrTrainer {
  readonly backend: BackendName = 'wasm';
  readonly detail: string;
  private constructor(private readonly net: FastConvNet) {
    this.detail = `${fastKernelFlavor()}, ${net.threads} thread${net.threads > 1 ? 's' : ''}`;
  }
  static async create(shape: NetShape, maxCrop: number, threads = defaultThreads()): Promise<FastTrainer> {
    const net = await FastConvNet.create({ depth: shape.depth, width: shape.width }, { threads, maxCrop: { height: maxCrop, width: maxCrop }, trainBias: false });
    return new FastTrainer(net);
  }
  step(input: FloatImage, target: FloatImage, lr: number): number {
    return this.net.trainStep(input, target, lr);
  }
  forward(img: FloatImage): FloatImage {
    return this.net.forward(img);
  }
  getWeights(): ConvNetWeights {
    return this.net.getWeights();
  }
  setWeights(w: ConvNetWeights): void {
    this.net.setWeights(w);
  }
  resetOptimizer(): void {
    this.net.resetOptimizer();
  }
  dispose(): Promise<void> {
    return this.net.dispose();
  }
}

/**
 * tfjs autodiff on the active tfjs backend: for the native TensorFlow backends (which have
 * every gradient kernel) and the pure-JS cpu backend. Any odd kernel size.
 */
export class TfTrainer implements ZssrTrainer {
  readonly detail: string;
  private vars: tf.Variable[];
  private opt: tf.AdamOptimizer;
  private readonly pad: number;

  constructor(readonly backend: BackendName, private readonly shape: NetShape, w: ConvNetWeights) {
    ensureGradients();
    this.detail = `tfjs ${tf.getBackend()}`;
    this.pad = (shape.kernel - 1) / 2;
    this.vars = this.toVars(w);
    this.opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  }

  private toVars(w: ConvNetWeights): tf.Variable[] {
    const k = this.shape.kernel;
    return w.kernels.flatMap((kern, l) => {
      const ci = l === 0 ? 3 : this.shape.width;
      const co = l === this.shape.depth - 1 ? 3 : this.shape.width;
      // tf.variable keeps its initial tensor alive as a separate tensor: dispose it.
      const kt = tf.tensor4d(kern, [k, k, ci, co]);
      const bt = tf.tensor1d(w.biases[l]);
      const vars = [tf.variable(kt), tf.variable(bt)];
      tf.dispose([kt, bt]);
      return vars;
    });
  }

  private net(x: tf.Tensor4D): tf.Tensor4D {
    let a: tf.Tensor4D = x;
    const L = this.shape.depth;
    for (let l = 0; l < L; l++) {
      const z = tf.add(tf.conv2d(a, this.vars[2 * l] as tf.Variable<tf.Rank.R4>, 1, 'same'), this.vars[2 * l + 1]) as tf.Tensor4D;
      a = l < L - 1 ? tf.relu(z) : z;
    }
    return tf.add(x, a);
  }

  step(input: FloatImage, target: FloatImage, lr: number): number {
    this.syncReadable();
    const loss = this.lossOfStep(input, target, lr);
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  }

  /** step() with an asynchronous read: what GPU backends need (WebGPU cannot read synchronously). */
  async stepAsync(input: FloatImage, target: FloatImage, lr: number): Promise<number> {
    const loss = this.lossOfStep(input, target, lr);
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  }

  /** forward() with an asynchronous read (GPU backends). */
  async forwardAsync(img: FloatImage): Promise<FloatImage> {
    const y = tf.tidy(() => this.net(tf.tensor4d(img.data, [1, img.height, img.width, 3])));
    const data = Float32Array.from((await y.data()) as Float32Array);
    y.dispose();
    return { width: img.width, height: img.height, channels: 3, data };
  }

  /** WebGPU in Node cannot read results synchronously: say so instead of failing inside tfjs. */
  private syncReadable(): void {
    if (tf.getBackend() === 'webgpu') {
      throw new StudioError('E_BACKEND_UNAVAILABLE', "ZSSR's training loop reads each step synchronously, which the WebGPU backend cannot do in Node; use --backend auto, wasm or tensorflow for ZSSR");
    }
  }

  /** getWeights() with asynchronous reads (GPU backends). */
  async getWeightsAsync(): Promise<ConvNetWeights> {
    const read = (v: tf.Variable) => v.data().then((d) => Float32Array.from(d as Float32Array));
    const kernels = await Promise.all(this.vars.filter((_, i) => i % 2 === 0).map(read));
    const biases = await Promise.all(this.vars.filter((_, i) => i % 2 === 1).map(read));
    return { kernels, biases };
  }

  private lossOfStep(input: FloatImage, target: FloatImage, lr: number): tf.Scalar {
    // tfjs keeps the rate in a protected field that applyGradients reads on every step.
    (this.opt as unknown as { learningRate: number }).learningRate = lr;
    return tf.tidy(() => {
      const x = tf.tensor4d(input.data, [1, input.height, input.width, 3]);
      const y = tf.tensor4d(target.data, [1, target.height, target.width, 3]);
      const kernels = this.vars.filter((_, i) => i % 2 === 0);
      return this.opt.minimize(() => tf.mean(tf.abs(tf.sub(this.net(x), y))) as tf.Scalar, true, kernels) as tf.Scalar;
    });
  }

  forward(img: FloatImage): FloatImage {
    this.syncReadable();
    const data = tf.tidy(() => this.net(tf.tensor4d(img.data, [1, img.height, img.width, 3])).dataSync() as Float32Array);
    return { width: img.width, height: img.height, channels: 3, data: Float32Array.from(data) };
  }

  getWeights(): ConvNetWeights {
    const kernels: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (let l = 0; l < this.shape.depth; l++) {
      kernels.push(Float32Array.from(this.vars[2 * l].dataSync() as Float32Array));
      biases.push(Float32Array.from(this.vars[2 * l + 1].dataSync() as Float32Array));
    }
    return { kernels, biases };
  }

  setWeights(w: ConvNetWeights): void {
    const fresh = this.toVars(w);
    tf.dispose(this.vars);
    this.vars = fresh;
    this.resetOptimizer();
  }

  resetOptimizer(): void {
    this.opt.dispose();
    this.opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  }

  async dispose(): Promise<void> {
    this.opt.dispose();
    tf.dispose(this.vars);
    this.vars = [];
  }
}

export { defaultThreads };
