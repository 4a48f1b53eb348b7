import { KERNELS, type ResizeKernel } from './kernels';

/**
 * For each output index along one dimension: which input indices contribute, with which weights.
 * Stored flat (CSR-like) so the resampling loops touch only typed arrays.
 */
export interface Contributions {
  outLen: number;
  /** Taps of output i are offsets[i] .. offsets[i+1]-1 in `index`/`weight`. */
  offsets: Int32Array;
  index: Int32Array;
  weight: Float64Array;
  /** Largest tap count of any output. */
  maxTaps: number;
}

/**
 * The same taps padded to a fixed count per output (zero weights on the first input index), so
 * hot loops can be unrolled. Adding w=0 terms leaves every sum unchanged.
 */
export interface PaddedTaps {
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

export function padTaps(c: Contributions, taps: number): PaddedTaps {
  const index = new Int32Array(c.outLen * taps);
  const weight = new Float64Array(c.outLen * taps);
  for (let o = 0; o < c.outLen; o++) {
    const a = c.offsets[o];
    const n = c.offsets[o + 1] - a;
    for (let t = 0; t < taps; t++) {
      index[o * taps + t] = t < n ? c.index[a + t] : c.index[a];
      weight[o * taps + t] = t < n ? c.weight[a + t] : 0;
    }
  }
  return { taps, index, weight };
}

/**
 * MATLAB imresize `contributions()`: kernel centred at u = x/scale + 0.5(1 - 1/scale) (1-based
 * x), widened by 1/scale when antialiasing a downscale, weights normalised to sum to 1, indices
 * outside the image folded back symmetrically (edge pixel repeated). Zero weights are dropped:
 * MATLAB drops all-zero columns, and a zero term never changes a sum.
 */
export function contributions(inLen: number, outLen: number, scale: number, kernel: ResizeKernel, antialias: boolean): Contributions {
  const spec = KERNELS[kernel];
  let kw = spec.width;
  let h = spec.fn;
  if (scale < 1 && antialias) {
    const k = spec.fn;
    h = (x: number) => scale * k(scale * x);
    kw = kw / scale;
  }
  const P = Math.ceil(kw) + 2;
  const offsets = new Int32Array(outLen + 1);
  const index = new Int32Array(outLen * P);
  const weight = new Float64Array(outLen * P);
  const w = new Float64Array(P);
  const twoN = 2 * inLen;
  let n = 0;
  for (let o = 0; o < outLen; o++) {
    const x = o + 1;
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kw / 2);
    let sum = 0;
    for (let p = 0; p < P; p++) {
      w[p] = h(u - (left + p));
      sum += w[p];
    }
    offsets[o] = n;
    for (let p = 0; p < P; p++) {
      if (w[p] === 0) continue;
      // 1-based index left+p -> 0-based, folded into [0, 2n) then mirrored.
      let m = (left + p - 1) % twoN;
      if (m < 0) m += twoN;
      index[n] = m < inLen ? m : twoN - 1 - m;
      weight[n] = w[p] / sum;
      n++;
    }
  }
  offsets[outLen] = n;
  let maxTaps = 0;
  for (let o = 0; o < outLen; o++) maxTaps = Math.max(maxTaps, offsets[o + 1] - offsets[o]);
  return { outLen, offsets, index: index.subarray(0, n), weight: weight.subarray(0, n), maxTaps };
}
