// Tiled inference for images too big to run whole: overlapping tiles, blended with feathered
// weights that form an exact partition of unity (so no weight plane is needed), cancellable
// between tiles, with an output-size guard that fires before any work.
import os from 'node:os';
import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';
import type { BackendName } from '../contract/enhance';

export interface TileOptions {
  /** Output/input size ratio of `fn` (1 for nets that run on an already interpolated image). */
  scale: number;
  /** Input tile side in pixels, overlap included. */
  tile: number;
  /** Input pixels shared by neighbouring tiles (at least; tiles are spread evenly). */
  overlap: number;
  /**
   * Input pixels at each inner tile edge given (almost) zero weight: a conv net's output there is
   * spoiled by its zero padding (receptive-field radius). Default overlap / 4.
   */
  margin?: number;
  signal?: AbortSignal;
  onTile?(done: number, total: number): void;
  /** Refuse outputs above this many pixels (E_OUTPUT_TOO_LARGE) before any work. Default: memory based. */
  maxOutputPixels?: number;
}

/** A run of finished output rows (full output width), handed out as soon as no tile can touch them. */
export interface TileBand {
  /** First output row of the band. */
  y: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** HWC samples of the band; only valid during the callback (the buffer is reused). */
  data: Float32Array;
}

/**
 * Start offsets of tiles along one axis: the fewest tiles of side `tile` that overlap by at least
 * `overlap`, spread evenly so every seam gets the same overlap (no sliver tile at the far edge).
 */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const ov = Math.min(Math.max(0, overlap), tile - 1);
  const n = Math.ceil((length - ov) / (tile - ov));
  const span = length - tile;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) starts.push(Math.round((i * span) / (n - 1)));
  return starts;
}

/** Default output cap: the float result (and the caller's 8-bit copy) must fit in half the RAM. */
export function defaultMaxOutputPixels(channels: number): number {
  return Math.floor((os.totalmem() * 0.5) / (channels * 4 + channels));
}

/** Throw E_OUTPUT_TOO_LARGE if an upscale of w x h by `scale` would exceed `maxPixels`. */
export function checkTiledOutput(width: number, height: number, channels: number, scale: number, maxPixels = defaultMaxOutputPixels(channels)): void {
  const outW = Math.round(width * scale);
  const outH = Math.round(height * scale);
  const px = outW * outH;
  if (!(px <= maxPixels)) {
    throw new StudioError(
      'E_OUTPUT_TOO_LARGE',
      `output would be ${outW}x${outH} (${(px / 1e6).toFixed(0)} MP), above the ${(maxPixels / 1e6).toFixed(0)} MP this machine can hold; lower the scale or crop the photo`,
      { width: outW, height: outH, megapixels: px / 1e6, limitMegapixels: maxPixels / 1e6 },
    );
  }
}

/**
 * Memory the backend may spend on one tile's activations. wasm has one linear heap that never
 * shrinks, so it gets less; native TensorFlow manages its own memory well.
 */
export function tileBudgetBytes(backend: BackendName | undefined): number {
  switch (backend) {
    case 'tensorflow-gpu':
      return 512 * 2 ** 20;
    case 'tensorflow':
      return 1024 * 2 ** 20;
    case 'wasm':
      return 320 * 2 ** 20;
    default:
      return 384 * 2 ** 20;
  }
}

/**
 * Tile side for a net that needs `bytesPerInputPixel` of activations at its peak: as large as the
 * backend's budget allows (fewer seams, less overlap overhead), a multiple of 8, within [min, max].
 */
export function chooseTileSize(bytesPerInputPixel: number, backend: BackendName | undefined, limits: { min?: number; max?: number } = {}): number {
  const min = limits.min ?? 48;
  const max = limits.max ?? 512;
  const side = Math.floor(Math.sqrt(tileBudgetBytes(backend) / Math.max(1, bytesPerInputPixel)) / 8) * 8;
  return Math.min(max, Math.max(min, side));
}

interface AxisPlan {
  /** Input start and length of each tile. */
  starts: number[];
  lengths: number[];
  /** Output start of each tile and its blend weights (normalised: they sum to 1 at every output pixel). */
  outStarts: number[];
  weights: Float32Array[];
}

/** Raw feather: ~0 inside the margin, then a linear ramp, 1 in the tile's interior. */
function rawWeight(d: number, margin: number, ramp: number): number {
  if (d < margin) return 1e-6; // tiny, not zero: a pixel covered only by margins still gets a value
  if (ramp <= 0) return 1;
  return Math.min(1, (d - margin + 0.5) / ramp);
}

function planAxis(length: number, outLength: number, scale: number, tile: number, overlap: number, margin: number): AxisPlan {
  const starts = tileStarts(length, tile, overlap);
  const n = starts.length;
  const lengths = starts.map((s) => Math.min(tile, length - s));
  const outLens = lengths.map((l) => Math.round(l * scale));
  // The last tile is anchored to the far edge so rounding at fractional scales never leaves a gap.
  const outStarts = starts.map((s, i) => (s + lengths[i] >= length ? outLength - outLens[i] : Math.round(s * scale)));
  const mOut = margin * scale;
  const ramp = Math.max(1, (overlap - 2 * margin) * scale);
  const raw = outStarts.map((o, i) => {
    const w = new Float32Array(outLens[i]);
    for (let p = 0; p < w.length; p++) {
      let v = 1;
      if (i > 0) v = Math.min(v, rawWeight(p, mOut, ramp));
      if (i < n - 1) v = Math.min(v, rawWeight(w.length - 1 - p, mOut, ramp));
      w[p] = v;
    }
    return w;
  });
  const sum = new Float64Array(outLength);
  raw.forEach((w, i) => {
    for (let p = 0; p < w.length; p++) sum[outStarts[i] + p] += w[p];
  });
  const weights = raw.map((w, i) => w.map((v, p) => v / sum[outStarts[i] + p]));
  return { starts, lengths, outStarts, weights };
}

/** The w x h window at (x0, y0) of an image (the image itself when that is all of it). */
export function crop(img: FloatImage, x0: number, y0: number, w: number, h: number): FloatImage {
  const c = img.channels;
  if (x0 === 0 && y0 === 0 && w === img.width && h === img.height) return img;
  const data = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * img.width + x0) * c;
    data.set(img.data.subarray(src, src + w * c), y * w * c);
  }
  return { width: w, height: h, channels: c, data };
}

function cancelled(): StudioError {
  return new StudioError('E_CANCELLED', 'cancelled');
}

/**
 * Run `fn` over overlapping tiles and hand out finished output rows band by band: memory is about
 * two tile rows of output, whatever the image size. `fn` maps w x h to round(w*scale) x round(h*scale).
 */
export async function inferTiledBands(
  img: FloatImage,
  opts: TileOptions,
  fn: (tile: FloatImage) => Promise<FloatImage>,
  onBand: (band: TileBand) => void | Promise<void>,
): Promise<{ width: number; height: number; channels: 1 | 3 }> {
  return runTiles(img, opts, fn, onBand, false);
}

/**
 * Run `fn` over overlapping tiles and blend the results with feathered weights so no seam shows.
 * Memory: the output image plus one tile; no weight plane (the weights sum to 1 by construction).
 */
export async function inferTiled(img: FloatImage, opts: TileOptions, fn: (tile: FloatImage) => Promise<FloatImage>): Promise<FloatImage> {
  let out: FloatImage | undefined;
  await runTiles(img, opts, fn, (b) => {
    out = { width: b.width, height: b.height, channels: b.channels, data: b.data };
  }, true);
  if (!out) throw new StudioError('E_INTERNAL', 'tiling produced no output');
  return out;
}

async function runTiles(
  img: FloatImage,
  opts: TileOptions,
  fn: (tile: FloatImage) => Promise<FloatImage>,
  onBand: (band: TileBand) => void | Promise<void>,
  whole: boolean,
): Promise<{ width: number; height: number; channels: 1 | 3 }> {
  const { scale } = opts;
  if (!(scale > 0 && Number.isFinite(scale))) throw new StudioError('E_INVALID_ARGUMENT', `tile scale must be positive, got ${scale}`);
  const c = img.channels;
  checkTiledOutput(img.width, img.height, c, scale, opts.maxOutputPixels);
  const tile = Math.max(8, Math.floor(opts.tile));
  // At fractional scales rounding could open a 1-pixel gap between abutting tiles.
  const minOverlap = Number.isInteger(scale) ? 0 : 1;
  const overlap = Math.min(Math.max(minOverlap, Math.floor(opts.overlap)), Math.floor(tile / 2));
  const margin = Math.min(Math.floor(opts.margin ?? overlap / 4), Math.floor(overlap / 2));
  const outW = Math.round(img.width * scale);
  const outH = Math.round(img.height * scale);
  const px = planAxis(img.width, outW, scale, tile, overlap, margin);
  const py = planAxis(img.height, outH, scale, tile, overlap, margin);
  const total = px.starts.length * py.starts.length;

  // Rolling window of output rows [winY, winY + winH); in whole mode it is the whole output.
  let winY = 0;
  let winH = whole ? outH : 0;
  let win = new Float32Array(whole ? outW * outH * c : 0);
  let done = 0;
  for (let j = 0; j < py.starts.length; j++) {
    const oy = py.outStarts[j];
    const rowEnd = oy + py.weights[j].length;
    if (!whole) {
      // Grow the window to cover this tile row, keeping rows still shared with the previous one.
      const next = new Float32Array(outW * (rowEnd - oy) * c);
      if (winH > 0 && winY + winH > oy) next.set(win.subarray((oy - winY) * outW * c, winH * outW * c));
      win = next;
      winY = oy;
      winH = rowEnd - oy;
    }
    const wy = py.weights[j];
    for (let i = 0; i < px.starts.length; i++) {
      if (opts.signal?.aborted) throw cancelled();
      const inTile = crop(img, px.starts[i], py.starts[j], px.lengths[i], py.lengths[j]);
      const out = await fn(inTile);
      const wx = px.weights[i];
      if (out.width !== wx.length || out.height !== wy.length || out.channels !== c) {
        throw new StudioError('E_INTERNAL', `tile function returned ${out.width}x${out.height}x${out.channels}, expected ${wx.length}x${wy.length}x${c}`);
      }
      const ox = px.outStarts[i];
      for (let y = 0; y < out.height; y++) {
        const wyv = wy[y];
        const dst = ((oy + y - winY) * outW + ox) * c;
        const src = y * out.width * c;
        for (let x = 0; x < out.width; x++) {
          const wgt = wx[x] * wyv;
          const d = dst + x * c;
          const s = src + x * c;
          for (let k = 0; k < c; k++) win[d + k] += out.data[s + k] * wgt;
        }
      }
      opts.onTile?.(++done, total);
    }
    if (!whole) {
      // Rows above the next tile row are final.
      const finalEnd = j + 1 < py.starts.length ? py.outStarts[j + 1] : outH;
      if (finalEnd > winY) {
        await onBand({ y: winY, height: finalEnd - winY, width: outW, channels: c, data: win.subarray(0, (finalEnd - winY) * outW * c) });
      }
    }
  }
  if (whole) await onBand({ y: 0, height: outH, width: outW, channels: c, data: win });
  return { width: outW, height: outH, channels: c };
}
