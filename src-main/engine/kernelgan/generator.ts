import type { Rng } from '../train/rng';
import { Adam } from './adam';

/**
 * KernelGAN's generator: a deep *linear* network (layers 7x7, 5x5, 3x3, 1x1, 1x1, 1x1; 64 channels;
 * no biases, no activations) applied to each colour channel, whose output is subsampled by the
 * scale. Being linear, the whole network is one correlation with a 13x13 kernel K followed by
 * the subsampling: K *is* the photo's SR kernel once training is done.
 *
 * Training only ever needs K and dLoss/dK (the crop's loss is linear in K), so nothing here
 * runs the network on pixels. K is collapsed from the output side (a 1-channel vector first,
 * then 3x3, 7x7, 13x13 per input channel), which costs ~1 M multiply-adds instead of the ~10 M
 * of collapsing from the input side (64 channels of growing kernels) or the ~1.3 G of running
 * the layers on a 64x64 crop. The parameters, their initialisation and their gradients are
 * exactly those of the layered network: the deep parametrisation is what the paper relies on for
 * its optimisation behaviour, so it is kept; only the order of the products changes.
 */
export const G_STRUCTURE = [7, 5, 3, 1, 1, 1] as const;
export const G_CHANNELS = 64;
/** Side of the collapsed kernel: 7 + 5 + 3 - 2. */
export const G_KERNEL = 13;

const C = G_CHANNELS;
const K1 = 7, K2 = 5, K3 = 3, U2 = K2 + K3 - 1; // U2: 7

/** torch.nn.init.xavier_normal_(w, gain) for a conv weight [out, in, k, k]. */
function xavier(out: number, inn: number, k: number, gain: number, rng: Rng): Float32Array {
  const std = gain * Math.sqrt(2 / (inn * k * k + out * k * k));
  return Float32Array.from({ length: out * inn * k * k }, () => rng.normal() * std);
}

/** a (n x n) full-convolved with b (m x m), accumulated into out ((n+m-1)^2), times s. */
function fullConvAdd(a: Float32Array, ao: number, n: number, b: Float32Array, bo: number, m: number, out: Float32Array, oo: number, s = 1): void {
  const N = n + m - 1;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const av = a[ao + i * n + j] * s;
      if (av === 0) continue;
      for (let u = 0; u < m; u++) {
        const orow = oo + (i + u) * N + j;
        const brow = bo + u * m;
        for (let v = 0; v < m; v++) out[orow + v] += av * b[brow + v];
      }
    }
}

/** Valid correlation of big (N x N) with small (m x m), accumulated into out ((N-m+1)^2). */
function corrValidAdd(big: Float32Array, bo: number, N: number, small: Float32Array, so: number, m: number, out: Float32Array, oo: number): void {
  const n = N - m + 1;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let u = 0; u < m; u++) {
        const brow = bo + (i + u) * N + j;
        const srow = so + u * m;
        for (let v = 0; v < m; v++) acc += big[brow + v] * small[srow + v];
      }
      out[oo + i * n + j] += acc;
    }
}

/** Backward of out = left · W (W: C x C, row-major): dW = left^T dOut, dLeft = W dOut. */
function rowVectorBackward(left: Float32Array, W: Float32Array, dOut: Float32Array, dW: Float32Array, dLeft: Float32Array): void {
  for (let i = 0; i < C; i++) {
    let acc = 0;
    for (let j = 0; j < C; j++) {
      dW[i * C + j] = left[i] * dOut[j];
      acc += W[i * C + j] * dOut[j];
    }
    dLeft[i] = acc;
  }
}

export class DeepLinearGenerator {
  /** Layer weights in PyTorch layout [out][in][k][k]: W1 64x1x7x7 ... W6 1x64x1x1. */
  readonly w: Float32Array[];
  private readonly grads: Float32Array[];
  private readonly opt: Adam;
  // Intermediates of the last collapse, kept for the backward pass.
  private a = new Float32Array(C); // W6·W5
  private v = new Float32Array(C); // W6·W5·W4
  private u3 = new Float32Array(C * K3 * K3); // [d][3][3]
  private u2 = new Float32Array(C * U2 * U2); // [c][7][7]
  readonly kernel = new Float32Array(G_KERNEL * G_KERNEL);

  constructor(rng: Rng, lr: number, beta1: number) {
    // networks.weights_init_G: xavier_normal_(gain 0.1) on every conv.
    this.w = [xavier(C, 1, K1, 0.1, rng), xavier(C, C, K2, 0.1, rng), xavier(C, C, K3, 0.1, rng), xavier(C, C, 1, 0.1, rng), xavier(C, C, 1, 0.1, rng), xavier(1, C, 1, 0.1, rng)];
    this.grads = this.w.map((x) => new Float32Array(x.length));
    this.opt = new Adam(this.w, lr, beta1);
    this.collapse();
  }

  set lr(v: number) {
    this.opt.lr = v;
  }
  get lr(): number {
    return this.opt.lr;
  }

  /** Recomputes `kernel` (the correlation kernel G applies before subsampling) from the weights. */
  collapse(): Float32Array {
    const [W1, W2, W3, W4, W5, W6] = this.w;
    const { a, v, u3, u2, kernel } = this;
    a.fill(0);
    for (let g = 0; g < C; g++) for (let f = 0; f < C; f++) a[f] += W6[g] * W5[g * C + f];
    v.fill(0);
    for (let f = 0; f < C; f++) for (let e = 0; e < C; e++) v[e] += a[f] * W4[f * C + e];
    u3.fill(0);
    for (let e = 0; e < C; e++) {
      const ve = v[e];
      for (let d = 0; d < C; d++) {
        const wo = (e * C + d) * 9, uo = d * 9;
        for (let t = 0; t < 9; t++) u3[uo + t] += ve * W3[wo + t];
      }
    }
    u2.fill(0);
    // U2[c] = sum_d W2[d,c] * U3[d]: the bulk of the work, with U3[d] held in locals.
    for (let d = 0; d < C; d++) {
      const q = d * 9;
      const k0 = u3[q], k1 = u3[q + 1], k2 = u3[q + 2], k3 = u3[q + 3], k4 = u3[q + 4], k5 = u3[q + 5], k6 = u3[q + 6], k7 = u3[q + 7], k8 = u3[q + 8];
      for (let c = 0; c < C; c++) {
        const wo = (d * C + c) * 25, uo = c * 49;
        for (let i = 0; i < 5; i++)
          for (let j = 0; j < 5; j++) {
            const a = W2[wo + i * 5 + j];
            const o = uo + i * 7 + j;
            u2[o] += a * k0;
            u2[o + 1] += a * k1;
            u2[o + 2] += a * k2;
            u2[o + 7] += a * k3;
            u2[o + 8] += a * k4;
            u2[o + 9] += a * k5;
            u2[o + 14] += a * k6;
            u2[o + 15] += a * k7;
            u2[o + 16] += a * k8;
          }
      }
    }
    kernel.fill(0);
    for (let c = 0; c < C; c++) fullConvAdd(W1, c * 49, K1, u2, c * 49, U2, kernel, 0);
    return kernel;
  }

  /** One Adam step from dLoss/dK (the gradient w.r.t. the collapsed kernel), then re-collapses. */
  step(dK: Float32Array): void {
    this.opt.step(this.backward(dK));
    this.collapse();
  }

  /** dLoss/dW of every layer from dLoss/dK (valid until the next call). */
  backward(dK: Float32Array): Float32Array[] {
    const [W1, W2, W3, W4, W5, W6] = this.w;
    const [g1, g2, g3, g4, g5, g6] = this.grads;
    const { a, v, u3, u2 } = this;
    for (const g of this.grads) g.fill(0);
    // K = sum_c W1[c] * U2[c]
    const du2 = new Float32Array(C * 49);
    for (let c = 0; c < C; c++) {
      corrValidAdd(dK, 0, G_KERNEL, u2, c * 49, U2, g1, c * 49);
      corrValidAdd(dK, 0, G_KERNEL, W1, c * 49, K1, du2, c * 49);
    }
    // U2[c] = sum_d W2[d,c] * U3[d]
    // dW2[d,c][s] = sum_t dU2[c][s+t] U3[d][t];  dU3[d][t] = sum_c sum_s dU2[c][s+t] W2[d,c][s]
    const du3 = new Float32Array(C * 9);
    for (let d = 0; d < C; d++) {
      const q = d * 9;
      const k0 = u3[q], k1 = u3[q + 1], k2 = u3[q + 2], k3 = u3[q + 3], k4 = u3[q + 4], k5 = u3[q + 5], k6 = u3[q + 6], k7 = u3[q + 7], k8 = u3[q + 8];
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
      for (let c = 0; c < C; c++) {
        const wo = (d * C + c) * 25, uo = c * 49;
        for (let i = 0; i < 5; i++)
          for (let j = 0; j < 5; j++) {
            const o = uo + i * 7 + j;
            const x0 = du2[o], x1 = du2[o + 1], x2 = du2[o + 2], x3 = du2[o + 7], x4 = du2[o + 8], x5 = du2[o + 9], x6 = du2[o + 14], x7 = du2[o + 15], x8 = du2[o + 16];
            g2[wo + i * 5 + j] = x0 * k0 + x1 * k1 + x2 * k2 + x3 * k3 + x4 * k4 + x5 * k5 + x6 * k6 + x7 * k7 + x8 * k8;
            const w = W2[wo + i * 5 + j];
            a0 += x0 * w;
            a1 += x1 * w;
            a2 += x2 * w;
            a3 += x3 * w;
            a4 += x4 * w;
            a5 += x5 * w;
            a6 += x6 * w;
            a7 += x7 * w;
            a8 += x8 * w;
          }
      }
      du3[q] = a0;
      du3[q + 1] = a1;
      du3[q + 2] = a2;
      du3[q + 3] = a3;
      du3[q + 4] = a4;
      du3[q + 5] = a5;
      du3[q + 6] = a6;
      du3[q + 7] = a7;
      du3[q + 8] = a8;
    }
    // U3[d] = sum_e v[e] W3[e,d]
    const dv = new Float32Array(C);
    for (let e = 0; e < C; e++) {
      let acc = 0;
      for (let d = 0; d < C; d++) {
        const wo = (e * C + d) * 9, uo = d * 9;
        for (let t = 0; t < 9; t++) {
          g3[wo + t] = v[e] * du3[uo + t];
          acc += W3[wo + t] * du3[uo + t];
        }
      }
      dv[e] = acc;
    }
    // v[e] = sum_f a[f] W4[f,e]; a[f] = sum_g W6[g] W5[g,f]
    const da = new Float32Array(C);
    rowVectorBackward(a, W4, dv, g4, da);
    rowVectorBackward(W6, W5, da, g5, g6);
    return this.grads;
  }
}
