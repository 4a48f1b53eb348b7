import { StudioError } from '../contract/errors';
import { sameSize, type Plane } from './plane';

const RADIUS = 5; // 11 x 11 window
const SIGMA = 1.5;

function gaussian(): Float64Array {
  const g = new Float64Array(2 * RADIUS + 1);
  let s = 0;
  for (let i = 0; i < g.length; i++) {
    g[i] = Math.exp(-((i - RADIUS) ** 2) / (2 * SIGMA * SIGMA));
    s += g[i];
  }
  for (let i = 0; i < g.length; i++) g[i] /= s;
  return g;
}
const G = gaussian();

/** 'valid' correlation with the separable 11x11 Gaussian: output (w-10) x (h-10). */
function filterValid(src: Float64Array, w: number, h: number): Float64Array {
  const ow = w - 2 * RADIUS;
  const oh = h - 2 * RADIUS;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < G.length; k++) s += G[k] * src[row + x + k];
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < G.length; k++) s += G[k] * tmp[(y + k) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

/**
 * Mean SSIM (Wang et al. 2004) as the SR protocol computes it: 11x11 Gaussian window, sigma 1.5,
 * K1 = 0.01, K2 = 0.03, dynamic range `peak`, only windows fully inside the image.
 */
export function ssimPlane(a: Plane, b: Plane, peak = 255): number {
  sameSize(a, b);
  const { width: w, height: h } = a;
  if (w <= 2 * RADIUS || h <= 2 * RADIUS) throw new StudioError('E_INVALID_ARGUMENT', `SSIM needs at least 11x11 pixels, got ${w}x${h}`);
  const n = w * h;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a.data[i] * a.data[i];
    bb[i] = b.data[i] * b.data[i];
    ab[i] = a.data[i] * b.data[i];
  }
  const mu1 = filterValid(a.data, w, h);
  const mu2 = filterValid(b.data, w, h);
  const e11 = filterValid(aa, w, h);
  const e22 = filterValid(bb, w, h);
  const e12 = filterValid(ab, w, h);
  const C1 = (0.01 * peak) ** 2;
  const C2 = (0.03 * peak) ** 2;
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i];
    const m2 = mu2[i];
    const s1 = e11[i] - m1 * m1;
    const s2 = e22[i] - m2 * m2;
    const s12 = e12[i] - m1 * m2;
    sum += ((2 * m1 * m2 + C1) * (2 * s12 + C2)) / ((m1 * m1 + m2 * m2 + C1) * (s1 + s2 + C2));
  }
  return sum / mu1.length;
}
