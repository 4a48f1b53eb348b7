// NIQE's natural-scene-statistics features (Mittal, Soundararajan, Bovik, IEEE SPL 2013), as the
// reference MATLAB release computes them (computequality.m / computefeature.m /
// estimateaggdparam.m): MSCN coefficients with a 7x7 Gaussian (sigma 7/6, replicate borders),
// 18 AGGD features per patch at two scales, patch sharpness = mean local sigma at scale 1.
import { StudioError } from '../contract/errors';
import type { Plane } from './plane';

/** Patch side at the first scale (the release's 96x96, no overlap). */
export const NIQE_BLOCK = 96;
/** Features per patch: 18 at each of two scales. */
export const NIQE_FEATURES = 36;

/** MATLAB `imresize(p, 0.5)` (bicubic, antialiased): the second scale. */
export type HalfSize = (p: Plane) => Plane;

/** Per-patch feature rows (NIQE_FEATURES each, NaN where MATLAB gives NaN) and sharpness. */
export interface NiqeFeatures {
  /** Patches in MATLAB's order (blkproc + reshape: down each column of patches, then across). */
  rows: Float64Array[];
  /** Mean local sigma of each patch at the first scale (for the pristine patch selection). */
  sharpness: Float64Array;
}

// ---------- gamma function: Lanczos (g = 7, n = 9), ~1e-15 relative over the range used here.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * a;
}

// ---------- AGGD moment-matching fit (estimateaggdparam.m): grid 0.2:0.001:10.
const GAM = Float64Array.from({ length: 9801 }, (_, k) => 0.2 + k * 0.001);
const R_GAM = GAM.map((g) => gamma(2 / g) ** 2 / (gamma(1 / g) * gamma(3 / g)));

export interface Aggd {
  alpha: number;
  betaL: number;
  betaR: number;
}

/** Shape and left/right scales of an asymmetric generalised Gaussian fitted to `v`. */
export function aggdFit(v: ArrayLike<number>): Aggd {
  let sl = 0, nl = 0, sr = 0, nr = 0, sAbs = 0, s2 = 0;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    const x2 = x * x;
    if (x < 0) {
      sl += x2;
      nl++;
    } else if (x > 0) {
      sr += x2;
      nr++;
    }
    sAbs += Math.abs(x);
    s2 += x2;
  }
  // Empty sides give NaN, as MATLAB's mean([]) does.
  const leftStd = Math.sqrt(sl / nl);
  const rightStd = Math.sqrt(sr / nr);
  const g = leftStd / rightStd;
  const rhat = (sAbs / n) ** 2 / (s2 / n);
  const rhatNorm = (rhat * (g ** 3 + 1) * (g + 1)) / (g ** 2 + 1) ** 2;
  // MATLAB's min: the first smallest; with NaN everywhere, the first element (alpha 0.2).
  let best = 0;
  let bestD = Infinity;
  for (let k = 0; k < R_GAM.length; k++) {
    const d = (R_GAM[k] - rhatNorm) ** 2;
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const alpha = GAM[best];
  const c = Math.sqrt(gamma(1 / alpha) / gamma(3 / alpha));
  return { alpha, betaL: leftStd * c, betaR: rightStd * c };
}

// ---------- MSCN coefficients.
const RADIUS = 3;
/** fspecial('gaussian', 7, 7/6), normalised; separable, so one 1-D factor. */
const WIN = (() => {
  const s = 7 / 6;
  const g = Float64Array.from({ length: 2 * RADIUS + 1 }, (_, i) => Math.exp(-((i - RADIUS) ** 2) / (2 * s * s)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / sum);
})();

/** imfilter(src, window, 'replicate'): 'same' size, edge samples repeated. */
function gaussReplicate(src: Float64Array, w: number, h: number): Float64Array {
  const tmp = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -RADIUS; k <= RADIUS; k++) {
        const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
        s += WIN[k + RADIUS] * src[row + xx];
      }
      tmp[row + x] = s;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let k = -RADIUS; k <= RADIUS; k++) {
      const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
      const wk = WIN[k + RADIUS];
      const src2 = yy * w;
      const dst = y * w;
      for (let x = 0; x < w; x++) out[dst + x] += wk * tmp[src2 + x];
    }
  }
  return out;
}

/** Mean-subtracted contrast-normalised coefficients (I - mu) / (sigma + 1), and sigma. */
export function mscn(p: Plane): { mscn: Float64Array; sigma: Float64Array } {
  const { width: w, height: h, data } = p;
  const mu = gaussReplicate(data, w, h);
  const sq = new Float64Array(data.length);
  for (let i = 0; i < sq.length; i++) sq[i] = data[i] * data[i];
  const e2 = gaussReplicate(sq, w, h);
  const sigma = new Float64Array(data.length);
  const out = new Float64Array(data.length);
  for (let i = 0; i < out.length; i++) {
    sigma[i] = Math.sqrt(Math.abs(e2[i] - mu[i] * mu[i]));
    out[i] = (data[i] - mu[i]) / (sigma[i] + 1);
  }
  return { mscn: out, sigma };
}

// ---------- per-patch features (computefeature.m).
/** [row, column] shifts of circshift: horizontal, vertical, main and anti diagonal neighbours. */
const SHIFTS: [number, number][] = [
  [0, 1],
  [1, 0],
  [1, 1],
  [1, -1],
];

/** The 18 features of one patch of MSCN coefficients (row-major, bw x bh), written at `out[at..]`. */
export function patchFeatures(block: Float64Array, bw: number, bh: number, out: Float64Array, at = 0): void {
  let f = aggdFit(block);
  out[at] = f.alpha;
  out[at + 1] = (f.betaL + f.betaR) / 2;
  const pair = new Float64Array(block.length);
  for (let s = 0; s < SHIFTS.length; s++) {
    const [dr, dc] = SHIFTS[s];
    // circshift: shifted(i, j) = block(i - dr, j - dc), indices wrapping around the patch.
    for (let y = 0; y < bh; y++) {
      const sy = (((y - dr) % bh) + bh) % bh;
      for (let x = 0; x < bw; x++) {
        const sx = (((x - dc) % bw) + bw) % bw;
        pair[y * bw + x] = block[y * bw + x] * block[sy * bw + sx];
      }
    }
    f = aggdFit(pair);
    const o = at + 2 + 4 * s;
    out[o] = f.alpha;
    out[o + 1] = (f.betaR - f.betaL) * (gamma(2 / f.alpha) / gamma(1 / f.alpha));
    out[o + 2] = f.betaL;
    out[o + 3] = f.betaR;
  }
}

function copyBlock(src: Float64Array, w: number, x0: number, y0: number, bw: number, bh: number): Float64Array {
  const b = new Float64Array(bw * bh);
  for (let y = 0; y < bh; y++) b.set(src.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + bw), y * bw);
  return b;
}

function cropPlane(p: Plane, w: number, h: number): Plane {
  if (w === p.width && h === p.height) return p;
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) data.set(p.data.subarray(y * p.width, y * p.width + w), y * w);
  return { width: w, height: h, data };
}

/**
 * NIQE features of a grey plane (0-255): cropped to whole 96x96 patches from the top-left, 18
 * features per patch at full size and 18 more at half size (48x48 patches of the halved image).
 */
export function niqeFeatures(p: Plane, halve: HalfSize, block = NIQE_BLOCK): NiqeFeatures {
  const cols = Math.floor(p.width / block);
  const rowsN = Math.floor(p.height / block);
  if (cols < 1 || rowsN < 1) {
    throw new StudioError('E_INVALID_ARGUMENT', `NIQE needs at least ${block}x${block} pixels, got ${p.width}x${p.height}`);
  }
  const im = cropPlane(p, cols * block, rowsN * block);
  const n = cols * rowsN;
  const rows = Array.from({ length: n }, () => new Float64Array(NIQE_FEATURES));
  const sharpness = new Float64Array(n);
  let cur = im;
  for (let scale = 0; scale < 2; scale++) {
    const b = block >> scale;
    if (cur.width !== cols * b || cur.height !== rowsN * b) {
      throw new StudioError('E_INTERNAL', `half-size plane is ${cur.width}x${cur.height}, expected ${cols * b}x${rowsN * b}`);
    }
    const { mscn: m, sigma } = mscn(cur);
    for (let c = 0, k = 0; c < cols; c++) {
      for (let r = 0; r < rowsN; r++, k++) {
        patchFeatures(copyBlock(m, cur.width, c * b, r * b, b, b), b, b, rows[k], scale * 18);
        if (scale === 0) {
          let s = 0;
          for (let y = r * b; y < (r + 1) * b; y++) for (let x = c * b; x < (c + 1) * b; x++) s += sigma[y * cur.width + x];
          sharpness[k] = s / (b * b);
        }
      }
    }
    if (scale === 0) cur = halve(im);
  }
  return { rows, sharpness };
}
