/**
 * From G's raw kernel to the kernel ZSSR uses (util.post_process_k, util.analytic_kernel).
 * Kernels are square row-major Float64Arrays here; `toMatrix` gives the number[][] callers see.
 */
export interface Kernel {
  size: number;
  k: Float64Array;
}

export function toMatrix(k: Kernel): number[][] {
  return Array.from({ length: k.size }, (_, i) => Array.from(k.k.subarray(i * k.size, (i + 1) * k.size)));
}

export function fromMatrix(m: number[][]): Kernel {
  return { size: m.length, k: Float64Array.from(m.flat()) };
}

/**
 * Keeps what stands out: everything below 0.75 x the (n+1)-th largest value is cut (values are
 * lowered by that amount and clipped at 0), then the kernel is normalised to sum 1. This removes
 * the small negative lobes and the noise floor a trained G always has.
 */
export function zeroizeNegligible(k: Kernel, n = 40): Kernel {
  const sorted = Float64Array.from(k.k).sort();
  const floor = 0.75 * sorted[Math.max(0, sorted.length - n - 1)];
  const out = k.k.map((v) => Math.min(Math.max(v - floor, 0), 100));
  const s = out.reduce((a, b) => a + b, 0);
  return { size: k.size, k: s > 0 ? out.map((v) => v / s) : out };
}

export function centreOfMass(k: Kernel): { r: number; c: number } {
  let S = 0, r = 0, c = 0;
  for (let i = 0; i < k.size; i++)
    for (let j = 0; j < k.size; j++) {
      const v = k.k[i * k.size + j];
      S += v;
      r += i * v;
      c += j * v;
    }
  return { r: r / S, c: c / S };
}

/**
 * Moves the centre of mass to within half a pixel of the middle by whole pixels (no
 * interpolation, nothing lost: the canvas grows by the shift). Sub-pixel centring is left to
 * the resampler that applies the kernel (it centres by the centre of mass).
 */
export function centreByWholePixels(k: Kernel): Kernel {
  const { r, c } = centreOfMass(k);
  const mid = (k.size - 1) / 2;
  const dr = Math.round(mid - r), dc = Math.round(mid - c);
  const pad = Math.max(Math.abs(dr), Math.abs(dc));
  if (pad === 0) return k;
  const size = k.size + 2 * pad;
  const out = new Float64Array(size * size);
  for (let i = 0; i < k.size; i++) for (let j = 0; j < k.size; j++) out[(i + pad + dr) * size + (j + pad + dc)] = k.k[i * k.size + j];
  return { size, k: out };
}

/**
 * The x4 kernel of a x2 kernel (the paper's appendix): downscaling twice by 2 with k equals
 * downscaling once by 4 with k * (k dilated by 2); the faint rim (k.size // 2 on each side) is
 * cut and the result normalised, as the reference does (`cropRim` false: the whole 3n-2 kernel).
 */
export function analyticX4(k: Kernel, cropRim = true): Kernel {
  const n = k.size;
  const big = 3 * n - 2;
  const acc = new Float64Array(big * big);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      const w = k.k[r * n + c];
      if (w === 0) continue;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) acc[(2 * r + i) * big + 2 * c + j] += w * k.k[i * n + j];
    }
  const crop = cropRim ? Math.floor(n / 2) : 0;
  const size = big - 2 * crop;
  const out = new Float64Array(size * size);
  let s = 0;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const v = acc[(i + crop) * big + j + crop];
      out[i * size + j] = v;
      s += v;
    }
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return { size, k: out };
}
