// MATLAB-compatible resampling (imresize): separable, antialiased when shrinking, symmetric
// edges, the dimension with the smaller scale first. Any factor, integer or not.
//
// Work is done one output row at a time in float64 with precomputed contribution tables, so the
// only large allocation is the output itself; `resizeToBuffer` writes 8/16-bit samples directly
// so a 12 MP x4 result (192 MP) never needs a float copy.
import { StudioError } from '../../contract/errors';
import { toSample, type FloatImage } from '../../contract/image';
import { contributions, padTaps, type Contributions, type PaddedTaps } from './contributions';
import type { ResizeKernel } from './kernels';

export type { ResizeKernel } from './kernels';
/** One factor, an output size (factors from the sizes), or a factor per axis (ZSSR's anisotropic steps). */
export type ResizeTarget = { scale: number } | { width: number; height: number } | { scaleX: number; scaleY: number };
export type Samples = Float32Array | Float64Array | Uint8Array | Uint16Array;

/** Interleaved (HWC) samples of any numeric type and range. */
export interface RawImage<T extends Samples = Samples> {
  width: number;
  height: number;
  channels: number;
  data: T;
}

export interface ResizeOptions {
  kernel?: ResizeKernel;
  /** Widen the kernel when shrinking (MATLAB default). Never applied to 'nearest', as in MATLAB. */
  antialias?: boolean;
  signal?: AbortSignal;
  /** Called every few rows with output rows done / total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ResizePlan {
  inW: number;
  inH: number;
  outW: number;
  outH: number;
  cx: Contributions;
  cy: Contributions;
  /** cx padded to a fixed tap count for the unrolled 3-channel loop. */
  px: PaddedTaps;
  /** MATLAB resizes the dimension with the smaller scale first; ties: rows (height) first. */
  verticalFirst: boolean;
}

/** MATLAB's output length ceil(scale * len), ignoring float noise such as 255 * (1/3). */
function scaledLength(len: number, scale: number): number {
  const exact = len * scale;
  const r = Math.round(exact);
  return Math.max(1, Math.abs(exact - r) < 1e-9 * Math.max(1, exact) ? r : Math.ceil(exact));
}

export function planResize(inW: number, inH: number, target: ResizeTarget, kernel: ResizeKernel = 'bicubic', antialias = true): ResizePlan {
  if (!(Number.isInteger(inW) && Number.isInteger(inH) && inW > 0 && inH > 0)) {
    throw new StudioError('E_INVALID_ARGUMENT', `cannot resize a ${inW}x${inH} image`);
  }
  let outW: number, outH: number, sx: number, sy: number;
  if ('scale' in target || 'scaleX' in target) {
    [sx, sy] = 'scale' in target ? [target.scale, target.scale] : [target.scaleX, target.scaleY];
    if (!(Number.isFinite(sx) && sx > 0 && Number.isFinite(sy) && sy > 0)) throw new StudioError('E_INVALID_ARGUMENT', `resize scale must be a positive number, got ${sx === sy ? sx : `${sx} x ${sy}`}`);
    outW = scaledLength(inW, sx);
    outH = scaledLength(inH, sy);
  } else {
    outW = target.width;
    outH = target.height;
    if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
      throw new StudioError('E_INVALID_ARGUMENT', `resize target must be positive integers, got ${outW}x${outH}`);
    }
    sx = outW / inW;
    sy = outH / inH;
  }
  const aa = antialias && kernel !== 'nearest';
  const cx = contributions(inW, outW, sx, kernel, aa);
  return {
    inW,
    inH,
    outW,
    outH,
    cx,
    cy: contributions(inH, outH, sy, kernel, aa),
    px: padTaps(cx, cx.maxTaps),
    verticalFirst: sy <= sx,
  };
}

/** Weighted sum of source rows into `dst` (length inW*c): one vertical tap set. */
function combineRows(src: Samples, rowLen: number, cy: Contributions, y: number, dst: Float64Array): void {
  const a = cy.offsets[y];
  const b = cy.offsets[y + 1];
  let base = cy.index[a] * rowLen;
  let w = cy.weight[a];
  for (let i = 0; i < rowLen; i++) dst[i] = w * src[base + i];
  for (let t = a + 1; t < b; t++) {
    base = cy.index[t] * rowLen;
    w = cy.weight[t];
    for (let i = 0; i < rowLen; i++) dst[i] += w * src[base + i];
  }
}

/** Horizontal resampling of one row of 3 interleaved channels with fixed-count taps (unrolled for 1, 2, 4, 6). */
function resampleRow3(src: ArrayLike<number>, srcOff: number, p: PaddedTaps, outLen: number, dst: Float64Array): void {
  const { index, weight, taps } = p;
  let o = 0;
  let b = 0;
  switch (taps) {
    case 1:
      for (let x = 0; x < outLen; x++, o += 3, b++) {
        const k = srcOff + index[b] * 3;
        const w = weight[b];
        dst[o] = w * src[k];
        dst[o + 1] = w * src[k + 1];
        dst[o + 2] = w * src[k + 2];
      }
      return;
    case 2:
      for (let x = 0; x < outLen; x++, o += 3, b += 2) {
        const k0 = srcOff + index[b] * 3, k1 = srcOff + index[b + 1] * 3;
        const w0 = weight[b], w1 = weight[b + 1];
        dst[o] = w0 * src[k0] + w1 * src[k1];
        dst[o + 1] = w0 * src[k0 + 1] + w1 * src[k1 + 1];
        dst[o + 2] = w0 * src[k0 + 2] + w1 * src[k1 + 2];
      }
      return;
    case 4:
      for (let x = 0; x < outLen; x++, o += 3, b += 4) {
        const k0 = srcOff + index[b] * 3, k1 = srcOff + index[b + 1] * 3, k2 = srcOff + index[b + 2] * 3, k3 = srcOff + index[b + 3] * 3;
        const w0 = weight[b], w1 = weight[b + 1], w2 = weight[b + 2], w3 = weight[b + 3];
        dst[o] = w0 * src[k0] + w1 * src[k1] + w2 * src[k2] + w3 * src[k3];
        dst[o + 1] = w0 * src[k0 + 1] + w1 * src[k1 + 1] + w2 * src[k2 + 1] + w3 * src[k3 + 1];
        dst[o + 2] = w0 * src[k0 + 2] + w1 * src[k1 + 2] + w2 * src[k2 + 2] + w3 * src[k3 + 2];
      }
      return;
    case 6:
      for (let x = 0; x < outLen; x++, o += 3, b += 6) {
        const k0 = srcOff + index[b] * 3, k1 = srcOff + index[b + 1] * 3, k2 = srcOff + index[b + 2] * 3;
        const k3 = srcOff + index[b + 3] * 3, k4 = srcOff + index[b + 4] * 3, k5 = srcOff + index[b + 5] * 3;
        const w0 = weight[b], w1 = weight[b + 1], w2 = weight[b + 2], w3 = weight[b + 3], w4 = weight[b + 4], w5 = weight[b + 5];
        dst[o] = w0 * src[k0] + w1 * src[k1] + w2 * src[k2] + w3 * src[k3] + w4 * src[k4] + w5 * src[k5];
        dst[o + 1] = w0 * src[k0 + 1] + w1 * src[k1 + 1] + w2 * src[k2 + 1] + w3 * src[k3 + 1] + w4 * src[k4 + 1] + w5 * src[k5 + 1];
        dst[o + 2] = w0 * src[k0 + 2] + w1 * src[k1 + 2] + w2 * src[k2 + 2] + w3 * src[k3 + 2] + w4 * src[k4 + 2] + w5 * src[k5 + 2];
      }
      return;
    default:
      for (let x = 0; x < outLen; x++, o += 3, b += taps) {
        let s0 = 0, s1 = 0, s2 = 0;
        for (let t = b; t < b + taps; t++) {
          const w = weight[t];
          const k = srcOff + index[t] * 3;
          s0 += w * src[k];
          s1 += w * src[k + 1];
          s2 += w * src[k + 2];
        }
        dst[o] = s0;
        dst[o + 1] = s1;
        dst[o + 2] = s2;
      }
  }
}

/** Horizontal resampling of one row of `c` interleaved channels. */
function resampleRow(src: ArrayLike<number>, srcOff: number, c: number, plan: ResizePlan, dst: Float64Array): void {
  if (c === 3) return resampleRow3(src, srcOff, plan.px, plan.outW, dst);
  const { offsets, index, weight, outLen } = plan.cx;
  for (let x = 0; x < outLen; x++) {
    const a = offsets[x];
    const e = offsets[x + 1];
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let t = a; t < e; t++) s += weight[t] * src[srcOff + index[t] * c + ch];
      dst[x * c + ch] = s;
    }
  }
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('E_CANCELLED', 'resize cancelled');
}

/**
 * Streams the resized image row by row to `emit(y, row)` (row: outW*channels float64 values in
 * the source's units; the buffer is reused, copy what you keep).
 */
export function resizeRows(src: RawImage, plan: ResizePlan, emit: (y: number, row: Float64Array) => void, opts: Pick<ResizeOptions, 'signal' | 'onProgress'> = {}): void {
  const { inW, inH, outW, outH, cy } = plan;
  const c = src.channels;
  if (src.width !== inW || src.height !== inH || src.data.length < inW * inH * c) {
    throw new StudioError('E_INVALID_ARGUMENT', `image buffer does not match ${inW}x${inH}x${c}`);
  }
  const row = new Float64Array(outW * c);
  const every = Math.max(1, Math.floor(262144 / Math.max(1, outW * c)));
  if (plan.verticalFirst) {
    const tmp = new Float64Array(inW * c);
    for (let y = 0; y < outH; y++) {
      if (y % every === 0) {
        checkAbort(opts.signal);
        opts.onProgress?.(y, outH);
      }
      combineRows(src.data, inW * c, cy, y, tmp);
      resampleRow(tmp, 0, c, plan, row);
      emit(y, row);
    }
  } else {
    // Horizontal first: resample each needed input row once, keep those still ahead.
    const cache = new Map<number, Float64Array>();
    for (let y = 0; y < outH; y++) {
      if (y % every === 0) {
        checkAbort(opts.signal);
        opts.onProgress?.(y, outH);
      }
      const a = cy.offsets[y];
      const b = cy.offsets[y + 1];
      let lo = Infinity;
      for (let t = a; t < b; t++) lo = Math.min(lo, cy.index[t]);
      for (const k of cache.keys()) if (k < lo) cache.delete(k);
      row.fill(0);
      for (let t = a; t < b; t++) {
        const iy = cy.index[t];
        let hr = cache.get(iy);
        if (!hr) {
          hr = new Float64Array(outW * c);
          resampleRow(src.data, iy * inW * c, c, plan, hr);
          cache.set(iy, hr);
        }
        const w = cy.weight[t];
        for (let i = 0; i < row.length; i++) row[i] += w * hr[i];
      }
      emit(y, row);
    }
  }
  opts.onProgress?.(outH, outH);
}

/**
 * MATLAB `imresize(img, target, kernel)` on a FloatImage. Values are not clamped (cubic and
 * lanczos overshoot slightly), exactly as MATLAB returns them for floating-point input.
 */
export function imresize(img: FloatImage, target: ResizeTarget, kernel: ResizeKernel = 'bicubic', antialias = true, opts: Omit<ResizeOptions, 'kernel' | 'antialias'> = {}): FloatImage {
  const plan = planResize(img.width, img.height, target, kernel, antialias);
  const c = img.channels;
  const out = new Float32Array(plan.outW * plan.outH * c);
  const rowLen = plan.outW * c;
  resizeRows(img, plan, (y, row) => out.set(row, y * rowLen), opts);
  return { width: plan.outW, height: plan.outH, channels: c, data: out };
}

/** Float resize of any sample type, kept in the source's units (e.g. 0-255). */
export function resizeFloat(src: RawImage, target: ResizeTarget, opts: ResizeOptions = {}): RawImage<Float32Array> {
  const plan = planResize(src.width, src.height, target, opts.kernel, opts.antialias ?? true);
  const out = new Float32Array(plan.outW * plan.outH * src.channels);
  const rowLen = plan.outW * src.channels;
  resizeRows(src, plan, (y, row) => out.set(row, y * rowLen), opts);
  return { width: plan.outW, height: plan.outH, channels: src.channels, data: out };
}

export interface BufferResizeOptions extends ResizeOptions {
  /** Output sample type. */
  depth: 8 | 16;
  /** Multiplier from source units to output units before rounding (e.g. 255 for [0,1] floats to 8-bit). Default 1. */
  gain?: number;
  /** Caller-provided output (length outW*outH*channels), e.g. a region of a larger buffer. */
  out?: Uint8Array | Uint16Array;
}

/**
 * Resize straight into 8/16-bit samples, rounded like MATLAB's conversion to uint8/uint16
 * (round half up, clamped). Memory: the output plus two rows of float64.
 */
export function resizeToBuffer(src: RawImage, target: ResizeTarget, opts: BufferResizeOptions): RawImage<Uint8Array | Uint16Array> {
  const plan = planResize(src.width, src.height, target, opts.kernel, opts.antialias ?? true);
  const c = src.channels;
  const n = plan.outW * plan.outH * c;
  const max = opts.depth === 16 ? 65535 : 255;
  const out = opts.out ?? (opts.depth === 16 ? new Uint16Array(n) : new Uint8Array(n));
  if (out.length < n) throw new StudioError('E_INVALID_ARGUMENT', `output buffer holds ${out.length} samples, ${n} needed`);
  const gain = opts.gain ?? 1;
  const rowLen = plan.outW * c;
  resizeRows(
    src,
    plan,
    (y, row) => {
      const base = y * rowLen;
      for (let i = 0; i < rowLen; i++) out[base + i] = toSample(row[i], max, gain);
    },
    opts,
  );
  return { width: plan.outW, height: plan.outH, channels: c, data: out };
}
