import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';

export interface TileOptions {
  /** Output/input size ratio of `fn` (1 for nets that run on an already interpolated image). */
  scale: number;
  /** Input tile side in pixels, overlap included. */
  tile: number;
  /** Input pixels shared by neighbouring tiles. */
  overlap: number;
  /**
   * Input pixels at each inner tile edge given zero weight: a conv net's output there is spoiled
   * by its zero padding (receptive-field radius). Default overlap / 4.
   */
  margin?: number;
  signal?: AbortSignal;
  onTile?(done: number, total: number): void;
}

/** Start offsets of tiles along one axis so that every pixel is covered and tiles overlap. */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = Math.max(1, tile - overlap);
  const starts: number[] = [];
  for (let s = 0; s + tile < length; s += stride) starts.push(s);
  starts.push(length - tile); // the last tile is flush with the far edge
  return starts;
}

function crop(img: FloatImage, x0: number, y0: number, w: number, h: number): FloatImage {
  const c = img.channels;
  const data = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * img.width + x0) * c;
    data.set(img.data.subarray(src, src + w * c), y * w * c);
  }
  return { width: w, height: h, channels: c, data };
}

/** Weight of an output pixel at distance d from an inner tile edge (0 inside the margin, then a ramp). */
function edgeWeight(d: number, margin: number, ramp: number): number {
  if (d < margin) return 1e-6; // tiny, not zero: a pixel covered only by margins still gets a value
  if (ramp <= 0) return 1;
  return Math.min(1, (d - margin + 0.5) / ramp);
}

/**
 * Run `fn` over overlapping tiles and blend the results with feathered weights so no seam shows;
 * memory is one output image plus one weight plane, whatever the tile count.
 */
export async function inferTiled(
  img: FloatImage,
  opts: TileOptions,
  fn: (tile: FloatImage) => Promise<FloatImage>,
): Promise<FloatImage> {
  const { scale } = opts;
  const tile = Math.max(8, Math.floor(opts.tile));
  const overlap = Math.min(Math.max(0, Math.floor(opts.overlap)), tile - 1);
  const margin = opts.margin ?? Math.floor(overlap / 4);
  const outW = Math.round(img.width * scale);
  const outH = Math.round(img.height * scale);
  const c = img.channels;
  const xs = tileStarts(img.width, tile, overlap);
  const ys = tileStarts(img.height, tile, overlap);
  const total = xs.length * ys.length;
  if (total === 1) {
    if (opts.signal?.aborted) throw new StudioError('E_CANCELLED', 'cancelled');
    const out = await fn(img);
    opts.onTile?.(1, 1);
    return out;
  }
  const acc = new Float32Array(outW * outH * c);
  const wsum = new Float32Array(outW * outH);
  const mOut = margin * scale;
  const rampOut = Math.max(0, (overlap - 2 * margin) * scale);
  let done = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      if (opts.signal?.aborted) throw new StudioError('E_CANCELLED', 'cancelled');
      const w = Math.min(tile, img.width - x0);
      const h = Math.min(tile, img.height - y0);
      const out = await fn(crop(img, x0, y0, w, h));
      const ox = Math.round(x0 * scale);
      const oy = Math.round(y0 * scale);
      const ow = Math.min(out.width, outW - ox);
      const oh = Math.min(out.height, outH - oy);
      const hasLeft = x0 > 0;
      const hasTop = y0 > 0;
      const hasRight = x0 + w < img.width;
      const hasBottom = y0 + h < img.height;
      const wx = new Float32Array(ow);
      for (let x = 0; x < ow; x++) {
        let v = 1;
        if (hasLeft) v = Math.min(v, edgeWeight(x, mOut, rampOut));
        if (hasRight) v = Math.min(v, edgeWeight(ow - 1 - x, mOut, rampOut));
        wx[x] = v;
      }
      for (let y = 0; y < oh; y++) {
        let wy = 1;
        if (hasTop) wy = Math.min(wy, edgeWeight(y, mOut, rampOut));
        if (hasBottom) wy = Math.min(wy, edgeWeight(oh - 1 - y, mOut, rampOut));
        const row = (oy + y) * outW + ox;
        const srcRow = y * out.width * c;
        for (let x = 0; x < ow; x++) {
          const wgt = wx[x] * wy;
          const o = (row + x) * c;
          const s = srcRow + x * c;
          for (let k = 0; k < c; k++) acc[o + k] += out.data[s + k] * wgt;
          wsum[row + x] += wgt;
        }
      }
      opts.onTile?.(++done, total);
    }
  }
  for (let i = 0; i < wsum.length; i++) {
    const inv = wsum[i] > 0 ? 1 / wsum[i] : 0;
    for (let k = 0; k < c; k++) acc[i * c + k] *= inv;
  }
  return { width: outW, height: outH, channels: c, data: acc };
}
