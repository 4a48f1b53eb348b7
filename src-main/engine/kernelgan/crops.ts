import type { FloatImage } from '../../contract/image';
import { imresize } from '../classical/imresize';
import type { Rng } from '../train/rng';

/**
 * Where KernelGAN takes its crops (data.py): centres are drawn with probability proportional to
 * the local amount of strong gradients, since flat regions say nothing about the blur. The
 * generator's 64x64 crops follow the gradients of the half-size image (what G makes), D's 26x26
 * real crops those of the photo itself.
 */
interface Plane {
  w: number;
  h: number;
  d: Float64Array;
}

/** Zero a border of `edge` pixels (util.pad_edges). */
function padEdges(p: Plane, edge: number): Plane {
  const d = new Float64Array(p.d.length);
  for (let y = edge; y < p.h - edge; y++) for (let x = edge; x < p.w - edge; x++) d[y * p.w + x] = p.d[y * p.w + x];
  return { w: p.w, h: p.h, d };
}

/** Values below the `percent` quantile become 0, those above a tiny constant (util.clip_extreme). */
function clipExtreme(p: Plane, percent: number): Plane {
  const sorted = Float64Array.from(p.d).sort();
  const pivot = Math.min(sorted.length - 2, Math.floor(percent * sorted.length));
  const vMin = sorted[pivot];
  const vMax = sorted[pivot + 1] > vMin ? sorted[pivot + 1] : vMin + 10e-6;
  return { w: p.w, h: p.h, d: p.d.map((v) => Math.min(Math.max(v, vMin), vMax) - vMin) };
}

/** Mean over a box of `size` x `size` around each pixel (convolve2d 'same' / size^2, zero outside). */
function boxMean(p: Plane, size: number): Plane {
  const { w, h } = p;
  const I = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += p.d[y * w + x];
      I[(y + 1) * (w + 1) + x + 1] = I[y * (w + 1) + x + 1] + row;
    }
  }
  const before = Math.floor(size / 2), after = size - 1 - before;
  const d = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - before), y1 = Math.min(h, y + after + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - before), x1 = Math.min(w, x + after + 1);
      d[y * w + x] = (I[y1 * (w + 1) + x1] - I[y0 * (w + 1) + x1] - I[y1 * (w + 1) + x0] + I[y0 * (w + 1) + x0]) / (size * size);
    }
  }
  return { w, h, d };
}

function sum(p: Plane): number {
  let s = 0;
  for (const v of p.d) s += v;
  return s;
}

/** util.create_gradient_map: where the strongest gradients are, blurred over 5x5, mean 1. */
export function gradientMap(img: FloatImage, window = 5, percent = 0.97): Plane {
  const { width: w, height: h } = img;
  const g = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const o = i * img.channels;
    g[i] = img.channels === 3 ? 0.299 * img.data[o] + 0.587 * img.data[o + 1] + 0.114 * img.data[o + 2] : img.data[o];
  }
  // np.gradient: central differences inside, one-sided at the borders.
  const diff = (a: number, b: number, span: number): number => (a - b) / span;
  const gx = new Float64Array(w * h), gy = new Float64Array(w * h), gm = new Float64Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const dy = h < 2 ? 0 : y === 0 ? diff(g[i + w], g[i], 1) : y === h - 1 ? diff(g[i], g[i - w], 1) : diff(g[i + w], g[i - w], 2);
      const dx = w < 2 ? 0 : x === 0 ? diff(g[i + 1], g[i], 1) : x === w - 1 ? diff(g[i], g[i - 1], 1) : diff(g[i + 1], g[i - 1], 2);
      gy[i] = Math.abs(dy);
      gx[i] = Math.abs(dx);
      gm[i] = Math.sqrt(dx * dx + dy * dy);
    }
  const lx = clipExtreme(padEdges({ w, h, d: gx }, window), percent);
  const ly = clipExtreme(padEdges({ w, h, d: gy }, window), percent);
  const lm = padEdges({ w, h, d: gm }, window);
  const sx = sum(lx), sy = sum(ly), sm = sum(lm);
  const comb = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) comb[i] = (sx ? lx.d[i] / sx : 0) + (sy ? ly.d[i] / sy : 0) + (sm ? lm.d[i] / sm : 0);
  const blurred = boxMean({ w, h, d: comb }, window);
  const mean = sum(blurred) / (w * h);
  if (mean > 0) for (let i = 0; i < w * h; i++) blurred.d[i] /= mean;
  return blurred;
}

/** Cumulative distribution of crop centres for crops of side `crop` (util.create_probability_map). */
function centreCdf(map: Plane, crop: number): Float64Array {
  const half = Math.floor(crop / 2);
  const p = padEdges(boxMean(map, half), half);
  const total = sum(p);
  const cdf = new Float64Array(p.d.length);
  let acc = 0;
  for (let i = 0; i < p.d.length; i++) {
    acc += total > 0 ? p.d[i] / total : 1 / p.d.length;
    cdf[i] = acc;
  }
  return cdf;
}

function nearestUp(p: Plane, f: number, w: number, h: number): Plane {
  const d = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = p.d[Math.min(p.h - 1, Math.floor(y / f)) * p.w + Math.min(p.w - 1, Math.floor(x / f))];
  return { w, h, d };
}

export class CropSampler {
  private readonly gCdf: Float64Array;
  private readonly dCdf: Float64Array;

  constructor(
    private readonly img: FloatImage,
    private readonly gSize: number,
    private readonly dSize: number,
    scale: number,
  ) {
    const { width: w, height: h } = img;
    this.dCdf = centreCdf(gradientMap(img), dSize);
    const small = imresize(img, { scale: 1 / scale }, 'bicubic', true);
    this.gCdf = centreCdf(nearestUp(gradientMap(small), scale, w, h), gSize);
  }

  private draw(cdf: Float64Array, rng: Rng): number {
    const u = rng.next() * cdf[cdf.length - 1];
    let lo = 0, hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * A size x size RGB crop (HWC) around a drawn centre, top-left on even coordinates
   * (data.get_top_left), in [-1, 1] as the networks see pixels.
   */
  private crop(size: number, cdf: Float64Array, rng: Rng): Float32Array {
    const { width: w, height: h, data } = this.img;
    const centre = this.draw(cdf, rng);
    const row = Math.floor(centre / w), col = centre % w;
    let top = Math.min(Math.max(0, row - (size >> 1)), h - size);
    let left = Math.min(Math.max(0, col - (size >> 1)), w - size);
    top -= top % 2;
    left -= left % 2;
    const out = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      const src = ((top + y) * w + left) * 3;
      for (let i = 0; i < size * 3; i++) out[y * size * 3 + i] = data[src + i] * 2 - 1;
    }
    return out;
  }

  gCrop(rng: Rng): Float32Array {
    return this.crop(this.gSize, this.gCdf, rng);
  }

  dCrop(rng: Rng): Float32Array {
    return this.crop(this.dSize, this.dCdf, rng);
  }
}
