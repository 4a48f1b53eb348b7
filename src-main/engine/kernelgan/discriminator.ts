import { tf } from '../backend';
import type { Rng } from '../train/rng';
import { Adam } from './adam';

/**
 * KernelGAN's patch discriminator: a 7x7 convolution (3 -> 64), five 1x1 convolutions with batch
 * normalisation and ReLU, a 1x1 convolution to one channel and a sigmoid; spectral normalisation
 * on every convolution (one power iteration per forward pass, as torch.nn.utils.spectral_norm in
 * training mode). Its receptive field is 7x7, so it judges small patches: a 26x26 crop gives a
 * 20x20 map of "real" probabilities.
 *
 * Every convolution here is a matrix product (the 7x7 one after im2col), done by the active
 * tfjs backend (XNNPACK on wasm: ~20 G multiply-adds/s on one core); everything else (batch norm,
 * ReLU, sigmoid, their gradients, the spectral norm, Adam) is plain loops over a few thousand
 * values. Written out by hand because tfjs's autodiff spends ~1400 small ops per iteration on
 * this network, which cost 10x the arithmetic (measured: 75 ms vs ~20 ms of CPU per iteration).
 * Checked against PyTorch in tests/unit/engine/kernelgan.
 */
export const D_CHANNELS = 64;
export const D_KERNEL = 7;
export const D_LAYERS = 7;
const CH = D_CHANNELS;
/** Values of one 7x7 RGB patch: a row of the im2col matrix. */
export const TAPS = D_KERNEL * D_KERNEL * 3;
const BN_EPS = 1e-5;
const SN_EPS = 1e-12;

interface Linear {
  /** Weight as [in, out] (the transpose of torch's [out, in] matrix; the spectral norm is the same). */
  w: Float32Array;
  b: Float32Array;
  inDim: number;
  outDim: number;
  /** Power-iteration vectors: u (out), v (in). */
  u: Float64Array;
  v: Float64Array;
}

function normalize(x: Float64Array): void {
  let s = 0;
  for (const e of x) s += e * e;
  const n = Math.max(Math.sqrt(s), SN_EPS);
  for (let i = 0; i < x.length; i++) x[i] /= n;
}

/** One power iteration: v = normalize(W^T u), u = normalize(W v) in torch's [out, in] terms. */
function powerIteration(l: Linear): void {
  const { w, u, v, inDim, outDim } = l;
  for (let i = 0; i < inDim; i++) {
    let s = 0;
    for (let o = 0; o < outDim; o++) s += w[i * outDim + o] * u[o];
    v[i] = s;
  }
  normalize(v);
  u.fill(0);
  for (let i = 0; i < inDim; i++) {
    const vi = v[i];
    for (let o = 0; o < outDim; o++) u[o] += w[i * outDim + o] * vi;
  }
  normalize(u);
}

/** sigma = u^T W v with the current vectors. */
function sigmaOf(l: Linear): number {
  const { w, u, v, inDim, outDim } = l;
  let s = 0;
  for (let i = 0; i < inDim; i++) {
    let r = 0;
    for (let o = 0; o < outDim; o++) r += w[i * outDim + o] * u[o];
    s += v[i] * r;
  }
  return s;
}

function linear(inDim: number, outDim: number, k: number, rng: Rng): Linear {
  // networks.weights_init_D: xavier_normal_(gain 0.1) on conv weights, zero biases.
  const std = 0.1 * Math.sqrt(2 / (inDim + outDim * k * k));
  const l: Linear = {
    w: Float32Array.from({ length: inDim * outDim }, () => rng.normal() * std),
    b: new Float32Array(outDim),
    inDim,
    outDim,
    u: Float64Array.from({ length: outDim }, () => rng.normal()),
    v: Float64Array.from({ length: inDim }, () => rng.normal()),
  };
  normalize(l.u);
  normalize(l.v);
  return l;
}

/** Side of the probability map for a crop of side n. */
export function dOutputSize(n: number): number {
  return n - D_KERNEL + 1;
}

/**
 * Patches of an n x n RGB crop (HWC, interleaved) as rows of a [(n-6)^2, 147] matrix, written
 * into `out` from row `row0`.
 */
export function im2col(crop: Float32Array, n: number, out: Float32Array, row0: number): void {
  const m = dOutputSize(n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      let o = (row0 + i * m + j) * TAPS;
      for (let u = 0; u < D_KERNEL; u++) {
        const src = ((i + u) * n + j) * 3;
        for (let t = 0; t < D_KERNEL * 3; t++) out[o++] = crop[src + t];
      }
    }
}

/** Adjoint of im2col: the gradient of the patch matrix folded back onto the n x n crop. */
export function col2im(cols: Float32Array, n: number, out: Float32Array): void {
  const m = dOutputSize(n);
  out.fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      let o = (i * m + j) * TAPS;
      for (let u = 0; u < D_KERNEL; u++) {
        const dst = ((i + u) * n + j) * 3;
        for (let t = 0; t < D_KERNEL * 3; t++) out[dst + t] += cols[o++];
      }
    }
}

/**
 * a [m, k] x b [k, n] on the active tfjs backend. Operands are transposed in JS where needed:
 * tfjs-wasm's transposed products run 5-10x slower than plain ones (measured).
 */
function matMul(a: Float32Array, aShape: [number, number], b: Float32Array, bShape: [number, number]): Float32Array {
  // Not in tf.tidy: it would walk the returned array element by element looking for tensors.
  const ta = tf.tensor2d(a, aShape), tb = tf.tensor2d(b, bShape);
  const tc = tf.matMul(ta, tb);
  const out = tc.dataSync() as Float32Array;
  tf.dispose([ta, tb, tc]);
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * Batch norm (training mode, statistics per crop of `rows` rows) and ReLU, in place: z becomes
 * relu(gamma * x_hat + beta); x_hat, the pre-ReLU values and 1/sqrt(var + eps) are kept.
 */
function bnReluForward(z: Float32Array, batch: number, rows: number, O: number, gamma: Float32Array, beta: Float32Array, xhat: Float32Array, y: Float32Array, invStd: Float32Array, mean: Float64Array, sq: Float64Array): void {
  for (let b = 0; b < batch; b++) {
    mean.fill(0);
    sq.fill(0);
    const r0 = b * rows * O, r1 = (b + 1) * rows * O;
    for (let i = r0; i < r1; i += O)
      for (let c = 0; c < O; c++) {
        const v = z[i + c];
        mean[c] += v;
        sq[c] += v * v;
      }
    for (let c = 0; c < O; c++) {
      mean[c] /= rows;
      invStd[b * O + c] = 1 / Math.sqrt(Math.max(sq[c] / rows - mean[c] * mean[c], 0) + BN_EPS);
    }
    for (let i = r0; i < r1; i += O)
      for (let c = 0; c < O; c++) {
        const xh = (z[i + c] - mean[c]) * invStd[b * O + c];
        xhat[i + c] = xh;
        const v = gamma[c] * xh + beta[c];
        y[i + c] = v;
        z[i + c] = v > 0 ? v : 0;
      }
  }
}

/** Backward of bnReluForward, in place: d (gradient of the ReLU output) becomes that of z. */
function bnReluBackward(d: Float32Array, batch: number, rows: number, O: number, gamma: Float32Array, xhat: Float32Array, y: Float32Array, invStd: Float32Array, dGamma: Float32Array | undefined, dBeta: Float32Array | undefined, m1: Float64Array, m2: Float64Array): void {
  for (let b = 0; b < batch; b++) {
    m1.fill(0);
    m2.fill(0);
    const r0 = b * rows * O, r1 = (b + 1) * rows * O;
    for (let i = r0; i < r1; i += O)
      for (let c = 0; c < O; c++) {
        const dy = y[i + c] > 0 ? d[i + c] : 0;
        const xh = xhat[i + c];
        if (dGamma && dBeta) {
          dGamma[c] += dy * xh;
          dBeta[c] += dy;
        }
        const dxh = dy * gamma[c];
        d[i + c] = dxh;
        m1[c] += dxh;
        m2[c] += dxh * xh;
      }
    for (let c = 0; c < O; c++) {
      m1[c] /= rows;
      m2[c] /= rows;
    }
    for (let i = r0; i < r1; i += O)
      for (let c = 0; c < O; c++) d[i + c] = invStd[b * O + c] * (d[i + c] - m1[c] - xhat[i + c] * m2[c]);
  }
}

/** What the forward pass keeps for the backward one. */
interface Trace {
  batch: number;
  rows: number;
  sigma: number[];
  /** Effective (spectrally normalised) weights. */
  wEff: Float32Array[];
  /** Input of each layer (layer 0: the patch matrix). */
  inputs: Float32Array[];
  /** Normalised pre-activations x_hat and 1/sqrt(var + eps) per crop and channel, layers 1..5. */
  xhat: Float32Array[];
  invStd: Float32Array[];
  /** Post-BN values before ReLU (their sign gates the gradient). */
  y: Float32Array[];
  /** Sigmoid outputs. */
  prob: Float32Array;
}

export class PatchDiscriminator {
  private readonly layers: Linear[];
  private readonly gamma: Float32Array[];
  private readonly beta: Float32Array[];
  private readonly opt: Adam;
  private readonly grads: Float32Array[];
  /** Reused buffers per batch size (1: the generator's pass, 2: D's own step). */
  private readonly traces = new Map<number, Trace>();
  private readonly stat = [new Float64Array(CH), new Float64Array(CH)];

  constructor(rng: Rng, lr: number, beta1: number) {
    this.layers = [linear(TAPS, CH, D_KERNEL, rng)];
    for (let l = 1; l < D_LAYERS - 1; l++) this.layers.push(linear(CH, CH, 1, rng));
    this.layers.push(linear(CH, 1, 1, rng));
    this.gamma = Array.from({ length: D_LAYERS - 2 }, () => Float32Array.from({ length: CH }, () => 1 + 0.02 * rng.normal()));
    this.beta = Array.from({ length: D_LAYERS - 2 }, () => new Float32Array(CH));
    const params = [...this.layers.flatMap((l) => [l.w, l.b]), ...this.gamma, ...this.beta];
    this.grads = params.map((p) => new Float32Array(p.length));
    this.opt = new Adam(params, lr, beta1);
  }

  set lr(v: number) {
    this.opt.lr = v;
  }
  get lr(): number {
    return this.opt.lr;
  }

  private trace(batch: number, N: number): Trace {
    let t = this.traces.get(batch);
    if (!t || t.prob.length !== N) {
      const L = this.layers.length;
      const bn = (n: number): Float32Array[] => Array.from({ length: L - 2 }, () => new Float32Array(n));
      t = {
        batch,
        rows: N / batch,
        sigma: new Array<number>(L).fill(1),
        wEff: this.layers.map((l) => new Float32Array(l.w.length)),
        inputs: [],
        xhat: bn(N * CH),
        invStd: bn(batch * CH),
        y: bn(N * CH),
        prob: new Float32Array(N),
      };
      this.traces.set(batch, t);
    }
    return t;
  }

  /** D on `batch` crops whose patch rows are stacked in `cols`; batch-norm statistics per crop. */
  private forward(cols: Float32Array, batch: number): Trace {
    const N = cols.length / TAPS;
    const L = this.layers.length;
    const t = this.trace(batch, N);
    t.inputs = [];
    let h = cols;
    for (let l = 0; l < L; l++) {
      const lay = this.layers[l];
      const s = sigmaOf(lay);
      const wEff = t.wEff[l];
      for (let i = 0; i < wEff.length; i++) wEff[i] = lay.w[i] / s;
      t.sigma[l] = s;
      t.inputs.push(h);
      const O = lay.outDim, I = lay.inDim;
      let z: Float32Array;
      if (O === 1) {
        z = new Float32Array(N);
        const b0 = lay.b[0];
        for (let r = 0; r < N; r++) {
          let acc = b0;
          for (let c = 0; c < I; c++) acc += h[r * I + c] * wEff[c];
          z[r] = acc;
        }
      } else {
        z = matMul(h, [N, I], wEff, [I, O]);
        if (l > 0 && l < L - 1) {
          // The bias before batch norm cancels in it (and its gradient is 0): not added.
          bnReluForward(z, batch, t.rows, O, this.gamma[l - 1], this.beta[l - 1], t.xhat[l - 1], t.y[l - 1], t.invStd[l - 1], this.stat[0], this.stat[1]);
        } else for (let r = 0; r < N * O; r += O) for (let c = 0; c < O; c++) z[r + c] += lay.b[c];
      }
      h = z;
    }
    for (let r = 0; r < N; r++) t.prob[r] = 1 / (1 + Math.exp(-h[r]));
    return t;
  }

  /**
   * Gradients from dLoss/dprob: into this.grads (when `weights`), and with respect to the patch
   * matrix (when `input`).
   */
  private backward(t: Trace, dProb: Float32Array, o: { weights: boolean; input: boolean }): Float32Array | undefined {
    const L = this.layers.length;
    const N = dProb.length;
    let dz: Float32Array = new Float32Array(N);
    for (let r = 0; r < N; r++) dz[r] = dProb[r] * t.prob[r] * (1 - t.prob[r]);
    for (let l = L - 1; l >= 0; l--) {
      const lay = this.layers[l];
      const O = lay.outDim, I = lay.inDim;
      const bnLayer = l > 0 && l < L - 1;
      if (bnLayer) {
        const k = l - 1;
        bnReluBackward(dz, t.batch, t.rows, O, this.gamma[k], t.xhat[k], t.y[k], t.invStd[k], o.weights ? this.grads[2 * L + k] : undefined, o.weights ? this.grads[2 * L + (L - 2) + k] : undefined, this.stat[0], this.stat[1]);
      }
      const x = t.inputs[l];
      if (o.weights) {
        // dW_eff = x^T dz (computed as (dz^T x)^T), then through W_eff = W / sigma(W):
        // dW = dW_eff / s - <dW_eff, W> / s^2 * v u^T.
        let dWe: Float32Array;
        if (O === 1) {
          dWe = new Float32Array(I);
          for (let r = 0; r < N; r++) {
            const g = dz[r];
            for (let c = 0; c < I; c++) dWe[c] += x[r * I + c] * g;
          }
        } else dWe = transpose(matMul(transpose(dz, N, O), [O, N], x, [N, I]), O, I);
        const s = t.sigma[l];
        let dot = 0;
        for (let i = 0; i < dWe.length; i++) dot += dWe[i] * lay.w[i];
        const coef = dot / (s * s);
        const dW = this.grads[2 * l], dB = this.grads[2 * l + 1];
        const { u, v } = lay;
        for (let i = 0; i < I; i++) for (let c = 0; c < O; c++) dW[i * O + c] += dWe[i * O + c] / s - coef * v[i] * u[c];
        if (!bnLayer) for (let r = 0; r < N * O; r += O) for (let c = 0; c < O; c++) dB[c] += dz[r + c];
      }
      if (l === 0 && !o.input) return undefined;
      const wEff = t.wEff[l];
      if (O === 1) {
        const dx = new Float32Array(N * I);
        for (let r = 0; r < N; r++) for (let c = 0; c < I; c++) dx[r * I + c] = dz[r] * wEff[c];
        dz = dx;
      } else dz = matMul(dz, [N, O], transpose(wEff, I, O), [O, I]);
    }
    return dz;
  }

  private powerIterations(n: number): void {
    for (const l of this.layers) for (let i = 0; i < n; i++) powerIteration(l);
  }

  /**
   * The generator's adversarial loss mean|D(fake) - 1| and its gradient with respect to the fake
   * crop's patch matrix (rows x 147). D's weights do not change.
   */
  generatorGrad(fakeCols: Float32Array): { loss: number; dCols: Float32Array } {
    this.powerIterations(1);
    const t = this.forward(fakeCols, 1);
    const N = t.prob.length;
    let loss = 0;
    for (const p of t.prob) loss += Math.abs(p - 1);
    // d|p - 1|/dp = sign(p - 1) = -1 for p < 1 (torch's sign is 0 at exactly 1).
    const dProb = t.prob.map((p) => Math.sign(p - 1) / N);
    const dCols = this.backward(t, dProb, { weights: false, input: true });
    return { loss: loss / N, dCols: dCols as Float32Array };
  }

  /**
   * One Adam step on 0.5 * (mean|D(real) - 1| + mean|D(fake)|); `cols` holds the real crop's
   * patches first, then the fake's. Returns the loss before the step.
   */
  trainStep(cols: Float32Array): number {
    // The original makes two forward calls (real, fake), each one power iteration.
    this.powerIterations(2);
    const t = this.forward(cols, 2);
    const N = t.prob.length, half = N / 2;
    let loss = 0;
    const dProb = new Float32Array(N);
    for (let r = 0; r < N; r++) {
      const p = t.prob[r];
      const target = r < half ? 1 : 0;
      loss += Math.abs(p - target);
      dProb[r] = (0.5 * Math.sign(p - target)) / half;
    }
    for (const g of this.grads) g.fill(0);
    this.backward(t, dProb, { weights: true, input: false });
    this.opt.step(this.grads);
    return (0.5 * loss) / half;
  }

  /** Parameters and power-iteration vectors, for checks against a reference implementation. */
  snapshot(): { w: Float32Array[]; b: Float32Array[]; u: Float64Array[]; v: Float64Array[]; gamma: Float32Array[]; beta: Float32Array[] } {
    return {
      w: this.layers.map((l) => Float32Array.from(l.w)),
      b: this.layers.map((l) => Float32Array.from(l.b)),
      u: this.layers.map((l) => Float64Array.from(l.u)),
      v: this.layers.map((l) => Float64Array.from(l.v)),
      gamma: this.gamma.map((g) => Float32Array.from(g)),
      beta: this.beta.map((b) => Float32Array.from(b)),
    };
  }
}
