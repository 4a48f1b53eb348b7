import type { FloatImage } from '../../contract/image';
import type { Rng } from '../train/rng';
import type { AugmentConfig } from './config';
import { dihedralCrop, dihedralSize } from './image-ops';

/**
 * A father crop with up to `margin` pixels of real surroundings on each side (fewer at the
 * image's edges), so its son can be made from the larger region and cut to the same window: the
 * son's pixels then see the picture around them, not the crop's mirrored border.
 */
export interface FatherCrop {
  /** The crop with its margins. */
  ext: FloatImage;
  /** The father inside `ext`. */
  inner: { x: number; y: number; width: number; height: number };
  /** Index of the source image. */
  source: number;
}

/** Integer crop [x0, x0 + w) of variant k with `margin` more on each side where the variant has it. */
function plainCrop(img: FloatImage, k: number, x0: number, y0: number, w: number, h: number, margin: number, source: number): FatherCrop {
  const v = dihedralSize(k, img.width, img.height);
  const ex0 = Math.max(0, x0 - margin), ey0 = Math.max(0, y0 - margin);
  const ex1 = Math.min(v.width, x0 + w + margin), ey1 = Math.min(v.height, y0 + h + margin);
  return { ext: dihedralCrop(img, k, ex0, ey0, ex1 - ex0, ey1 - ey0), inner: { x: x0 - ex0, y: y0 - ey0, width: w, height: h }, source };
}

/** MATLAB's cubic (a = -0.5). */
function cubic(t: number): number {
  const a = Math.abs(t);
  if (a <= 1) return (1.5 * a - 2.5) * a * a + 1;
  if (a < 2) return ((-0.5 * a + 2.5) * a - 4) * a + 2;
  return 0;
}

/** Mirror an index into [0, n) (edge pixel repeated, as MATLAB's 'symmetric'). */
function mirror(i: number, n: number): number {
  const p = 2 * n;
  let m = ((i % p) + p) % p;
  if (m >= n) m = p - 1 - m;
  return m;
}

/**
 * A w x h crop of `img` under the affine map `a` (2x2, row-major: u = a (p - c) with c the image
 * centre), whose crop pixel (i, j) is u = (ox + j, oy + i). Bicubic sampling; outside the image
 * the picture is mirrored rather than blacked out.
 */
export function affineCrop(img: FloatImage, a: [number, number, number, number], ox: number, oy: number, w: number, h: number): FloatImage {
  const det = a[0] * a[3] - a[1] * a[2];
  const inv = [a[3] / det, -a[1] / det, -a[2] / det, a[0] / det];
  const { width: W, height: H, channels: C, data } = img;
  const cx = (W - 1) / 2, cy = (H - 1) / 2;
  const out = new Float32Array(w * h * C);
  const wx = new Float64Array(4), wy = new Float64Array(4);
  const xs = new Int32Array(4), ys = new Int32Array(4);
  for (let i = 0; i < h; i++) {
    const uy = oy + i;
    for (let j = 0; j < w; j++) {
      const ux = ox + j;
      const px = inv[0] * ux + inv[1] * uy + cx;
      const py = inv[2] * ux + inv[3] * uy + cy;
      const x0 = Math.floor(px), y0 = Math.floor(py);
      for (let t = 0; t < 4; t++) {
        wx[t] = cubic(px - (x0 - 1 + t));
        wy[t] = cubic(py - (y0 - 1 + t));
        xs[t] = mirror(x0 - 1 + t, W);
        ys[t] = mirror(y0 - 1 + t, H);
      }
      const o = (i * w + j) * C;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let r = 0; r < 4; r++) {
          const row = ys[r] * W;
          s += wy[r] * (wx[0] * data[(row + xs[0]) * C + c] + wx[1] * data[(row + xs[1]) * C + c] + wx[2] * data[(row + xs[2]) * C + c] + wx[3] * data[(row + xs[3]) * C + c]);
        }
        out[o + c] = s < 0 ? 0 : s > 1 ? 1 : s;
      }
    }
  }
  return { width: w, height: h, channels: C, data: out };
}

/**
 * One father for a training step, as the original ZSSR's random_augment: with probability
 * `leave_as_is_probability` a plain crop of the photo; with `no_interpolate_probability` a crop of
 * one of the 8 rotations/flips; otherwise an affine warp (random scale between min_scale and the
 * newest source's scale, a random difference between the axes' scales, any rotation, shear).
 * The source is the smallest image (photo or earlier gradual result, `baseScales` their scales)
 * at least as large as the random scale. Crops never reach outside the image: they shrink to
 * the image instead of padding it black as the original does.
 */
export function randomFather(sources: FloatImage[], baseScales: number[], aug: AugmentConfig, cropSize: number, margin: number, rng: Rng): FatherCrop {
  const r = rng.next();
  const mode = r < aug.leave_as_is_probability ? 'leave' : r < aug.leave_as_is_probability + aug.no_interpolate_probability ? 'plain' : 'affine';
  const maxScale = baseScales[sources.length - 1];
  const minScale = Math.min(aug.min_scale, maxScale);
  const scale = mode === 'leave' ? 1 : rng.next() * (maxScale - minScale) + minScale;
  let source = baseScales.findIndex((b, i) => i < sources.length && b > scale - 1e-6);
  if (source < 0) source = sources.length - 1;
  const img = sources[source];
  if (mode !== 'affine') {
    // No rotation allowed: not even the flip (as the original), since a mirrored blur is another blur.
    const k = mode === 'leave' || !aug.allow_rotation ? 0 : rng.int(8);
    const v = dihedralSize(k, img.width, img.height);
    const w = Math.min(cropSize, v.width), h = Math.min(cropSize, v.height);
    return plainCrop(img, k, rng.int(v.width - w + 1), rng.int(v.height - h + 1), w, h, margin, source);
  }
  const s = scale / baseScales[source];
  const diff = rng.normal() * aug.scale_diff_sigma;
  const reflect = aug.allow_rotation && rng.next() < 0.5 ? -1 : 1;
  const sx = reflect * Math.max(0.05, s + diff / 2), sy = Math.max(0.05, s - diff / 2);
  const theta = aug.allow_rotation ? rng.next() * 2 * Math.PI : 0;
  const shx = rng.normal() * aug.shear_sigma, shy = rng.normal() * aug.shear_sigma;
  const cos = Math.cos(theta), sin = Math.sin(theta);
  // shear * rotation * scale, as the original's matrix product
  const r00 = cos * sx, r01 = sin * sy, r10 = -sin * sx, r11 = cos * sy;
  const a: [number, number, number, number] = [r00 + shx * r10, r01 + shx * r11, shy * r00 + r10, shy * r01 + r11];
  // Bounding box of the warped image around its centre; the crop lies inside it.
  const hw = (img.width - 1) / 2, hh = (img.height - 1) / 2;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const [dx, dy] of [[-hw, -hh], [hw, -hh], [-hw, hh], [hw, hh]]) {
    const ux = a[0] * dx + a[1] * dy, uy = a[2] * dx + a[3] * dy;
    minX = Math.min(minX, ux);
    maxX = Math.max(maxX, ux);
    minY = Math.min(minY, uy);
    maxY = Math.max(maxY, uy);
  }
  const w = Math.max(1, Math.min(cropSize, Math.floor(maxX - minX + 1)));
  const h = Math.max(1, Math.min(cropSize, Math.floor(maxY - minY + 1)));
  const ox = minX + rng.next() * Math.max(0, maxX - minX + 1 - w);
  const oy = minY + rng.next() * Math.max(0, maxY - minY + 1 - h);
  // The warp mirrors the picture beyond its edges, so the margin is always there.
  return { ext: affineCrop(img, a, ox - margin, oy - margin, w + 2 * margin, h + 2 * margin), inner: { x: margin, y: margin, width: w, height: h }, source };
}
