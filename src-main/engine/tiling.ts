// Tiled inference for images too big to run whole, done so that nobody can see the tiles:
// - the image is pre-padded by reflection, so border tiles see context as inner ones do (a net's
//   zero padding at the photo's edge otherwise darkens and tints corners);
// - neighbouring tiles overlap by more than the net's receptive field where affordable: pixels
//   within `margin` of an inner tile edge get (almost) no weight, the rest of the overlap is a
//   linear cross-fade; the weights form an exact partition of unity (no weight plane needed);
// - tiles are shrunk to fit the image evenly (no cliff in work when the photo grows a little);
// - the tile size comes from a memory budget, and a tile whose allocation fails is split in four
//   and retried (recursively), and later tiles start at the smaller size.
// Cancellable between tiles, with an output-size guard that fires before any work.
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
  /** Called with 0 before the first tile (the count is known before any runs), then after each tile. */
  onTile?(done: number, total: number): void;
  /** Refuse outputs above this many pixels (E_OUTPUT_TOO_LARGE) before any work. Default: memory based. */
  maxOutputPixels?: number;
  /**
   * Input pixels of reflection added around the image before tiling and cropped from the output
   * (default 0). Needs `pad * scale` to be whole.
   */
  pad?: number;
  /** Smallest tile side a failed allocation may split down to (default 32). */
  minTile?: number;
  /** Told when a tile's allocation failed and tiles are now at most `tile` pixels. */
  onSplit?(tile: number, err: Error): void;
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
 * Memory the backend may spend on one tile's activations. ONNX Runtime on the CPU gets a share of
 * the RAM (its arena is reused tile after tile); GPU backends a fixed share of a typical card's
 * memory; wasm has one linear heap that never shrinks, so it gets less.
 */
export function tileBudgetBytes(backend: BackendName | undefined): number {
  const MB = 2 ** 20;
  switch (backend) {
    case 'onnx-cpu':
      return Math.min(1024 * MB, Math.max(256 * MB, os.totalmem() / 16));
    case 'onnx-webgpu':
    case 'onnx-directml':
    case 'onnx-coreml':
    case 'webgpu':
    case 'tensorflow-gpu':
      return 512 * MB;
    case 'tensorflow':
      return 1024 * MB;
    case 'wasm':
      return 320 * MB;
    default:
      return 384 * MB;
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

/**
 * Tiles along one axis: the fewest of side <= `tile` that overlap by at least `overlap`, then
 * shrunk to the smallest equal side that still covers the axis with that overlap, so the work
 * grows with the image and not in steps of whole tiles.
 */
function planAxis(length: number, outLength: number, scale: number, tile: number, overlap: number, margin: number): AxisPlan {
  const count = tileStarts(length, tile, overlap).length;
  const fitted = count === 1 ? length : Math.min(tile, Math.ceil((length + (count - 1) * overlap) / count));
  const starts = tileStarts(length, fitted, overlap);
  const n = starts.length;
  const lengths = starts.map((s) => Math.min(fitted, length - s));
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

/** Index into [0, n) mirrored at the edges without repeating them (PyTorch's 'reflect'). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** The image with `p` pixels of reflection on every side. */
export function reflectPad(img: FloatImage, p: number): FloatImage {
  if (p <= 0) return img;
  const { width: w, height: h, channels: c } = img;
  const W = w + 2 * p;
  const H = h + 2 * p;
  const data = new Float32Array(W * H * c);
  const cols = Array.from({ length: W }, (_, x) => mirror(x - p, w));
  for (let y = 0; y < H; y++) {
    const sy = mirror(y - p, h);
    const src = sy * w * c;
    const dst = y * W * c;
    for (let x = 0; x < W; x++) {
      const s = src + cols[x] * c;
      const d = dst + x * c;
      for (let k = 0; k < c; k++) data[d + k] = img.data[s + k];
    }
  }
  return { width: W, height: H, channels: c, data };
}

/** An allocation failure of any runtime (V8, wasm, ONNX Runtime, tfjs, WebGPU): worth a smaller tile. */
export function isAllocationFailure(err: unknown): boolean {
  const m = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /out of memory|\bOOM\b|failed to allocate|bad_alloc|allocation failed|cannot allocate|could not allocate|Array buffer allocation/i.test(m);
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
  // Reflection around the image; its output is cropped away (offset `cut` in output pixels).
  const pad = Math.max(0, Math.floor(opts.pad ?? 0));
  const usePad = pad > 0 && Number.isInteger(pad * scale);
  const src = usePad ? reflectPad(img, pad) : img;
  const cut = usePad ? pad * scale : 0;
  const fullW = usePad ? src.width * scale : outW;
  const fullH = usePad ? src.height * scale : outH;
  const px = planAxis(src.width, fullW, scale, tile, overlap, margin);
  const py = planAxis(src.height, fullH, scale, tile, overlap, margin);
  const total = px.starts.length * py.starts.length;
  const split = splitter(opts, scale, overlap, margin, fn);

  // Rolling window of output rows [winY, winY + winH) (cropped coordinates); whole mode: everything.
  let winY = 0;
  let winH = whole ? outH : 0;
  let win = new Float32Array(whole ? outW * outH * c : 0);
  let done = 0;
  opts.onTile?.(0, total);
  for (let j = 0; j < py.starts.length; j++) {
    const oy = py.outStarts[j] - cut;
    const wy = py.weights[j];
    const rowEnd = Math.min(outH, oy + wy.length);
    if (!whole) {
      // Grow the window to cover this tile row, keeping rows still shared with the previous one.
      const top = Math.max(0, oy);
      const next = new Float32Array(outW * Math.max(0, rowEnd - top) * c);
      if (winH > 0 && winY + winH > top) next.set(win.subarray((top - winY) * outW * c, winH * outW * c));
      win = next;
      winY = top;
      winH = Math.max(0, rowEnd - top);
    }
    for (let i = 0; i < px.starts.length; i++) {
      if (opts.signal?.aborted) throw cancelled();
      const inTile = crop(src, px.starts[i], py.starts[j], px.lengths[i], py.lengths[j]);
      const out = await split(inTile);
      const wx = px.weights[i];
      if (out.width !== wx.length || out.height !== wy.length || out.channels !== c) {
        throw new StudioError('E_INTERNAL', `tile function returned ${out.width}x${out.height}x${out.channels}, expected ${wx.length}x${wy.length}x${c}`);
      }
      const ox = px.outStarts[i] - cut;
      const x0 = Math.max(0, -ox);
      const x1 = Math.min(out.width, outW - ox);
      const y0 = Math.max(0, -oy);
      const y1 = Math.min(out.height, outH - oy);
      for (let y = y0; y < y1; y++) {
        const wyv = wy[y];
        const dst = ((oy + y - winY) * outW + ox) * c;
        const srow = y * out.width * c;
        for (let x = x0; x < x1; x++) {
          const wgt = wx[x] * wyv;
          const d = dst + x * c;
          const s = srow + x * c;
          for (let k = 0; k < c; k++) win[d + k] += out.data[s + k] * wgt;
        }
      }
      opts.onTile?.(++done, total);
    }
    if (!whole) {
      // Rows above the next tile row are final.
      const finalEnd = j + 1 < py.starts.length ? Math.min(outH, Math.max(0, py.outStarts[j + 1] - cut)) : outH;
      if (finalEnd > winY) {
        await onBand({ y: winY, height: finalEnd - winY, width: outW, channels: c, data: win.subarray(0, (finalEnd - winY) * outW * c) });
      }
    }
  }
  if (whole) await onBand({ y: 0, height: outH, width: outW, channels: c, data: win });
  return { width: outW, height: outH, channels: c };
}

/**
 * `fn` with chaiNNer-style splitting: a tile whose allocation fails is run as four smaller
 * overlapping tiles (blended like any others) and every later tile starts at that size.
 */
function splitter(opts: TileOptions, scale: number, overlap: number, margin: number, fn: (tile: FloatImage) => Promise<FloatImage>) {
  const minTile = Math.max(8, opts.minTile ?? 32, 2 * overlap + 8);
  let limit = Infinity;
  const run = async (t: FloatImage): Promise<FloatImage> => {
    const side = Math.max(t.width, t.height);
    if (side > limit) return subTiles(t, limit);
    try {
      return await fn(t);
    } catch (err) {
      if (!isAllocationFailure(err) || side <= minTile) throw err;
      limit = Math.max(minTile, Math.ceil((side + overlap) / 2));
      opts.onSplit?.(limit, err as Error);
      return subTiles(t, limit);
    }
  };
  const subTiles = (t: FloatImage, side: number): Promise<FloatImage> => inferTiled(t, { scale, tile: side, overlap, margin, signal: opts.signal, maxOutputPixels: Infinity }, run);
  return run;
}
