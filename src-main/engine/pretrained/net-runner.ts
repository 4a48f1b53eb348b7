// Runs a fully convolutional upscaling net over a photo of any size: runtime choice (ONNX Runtime
// on the CPU or a GPU for nets that have a Graph, tfjs otherwise), fallback to the next backend
// when one fails mid-job, scale plan, tiles nobody can see, value range, grey images,
// cancellation and progress.
import type { ModelInfo } from '../../contract/api';
import { toSample, type FloatImage } from '../../contract/image';
import type { BackendName } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import { ensureBackend, ortProvider, preferenceFromEnv, tf } from '../backend';
import { toGray, toRgb } from '../channels';
import { imresize } from '../classical/imresize';
import { inferenceChain } from '../compute-probe';
import type { Graph } from '../graph/ir';
import { ortNet, releaseOrtSessions } from '../graph/ort-exec';
import { checkTiledOutput, chooseTileSize, inferTiled, inferTiledBands, isAllocationFailure, type TileBand, type TileOptions } from '../tiling';
import { outputSize, type SampleImage, type UpscaleContext, type Upscaler } from '../upscaler';
import { planScales } from './scale-plan';

export interface NetSpec {
  /** Scales the net exists at. */
  scales: readonly number[];
  /** The net for one native scale on tfjs: NHWC batch in, NHWC batch out, in the net's value range. */
  net(scale: number): Promise<(x: tf.Tensor4D) => tf.Tensor4D>;
  /** The same net as a runtime-neutral Graph (runs on ONNX Runtime); absent = tfjs only. */
  graph?(scale: number): Promise<Graph>;
  /**
   * Reflection added around the input before the net, in input pixels (Real-ESRGAN's pre_pad);
   * default: the overlap (at least the receptive field's reach, so the photo's edge looks like
   * its inside).
   */
  prepad?: number;
  /** Pixel value range the net expects (1 or 255). */
  range: number;
  overlap: number;
  margin: number;
  /** Peak activation bytes per input pixel at a native scale (sets the tile size). */
  bytesPerPixel(scale: number): number;
  /** Fixed tile side (tests, benchmarks); default from the backend's memory budget. */
  tile?: number;
  /** The net runs at output size on a bicubic-interpolated tile (ZSSR-style residual nets). */
  interpolateFirst?: boolean;
}

/** One tile through a tfjs net: [0,1] in, [0,1] out (clamped: GAN outputs overshoot a little). */
export async function runTile(net: (x: tf.Tensor4D) => tf.Tensor4D, tile: FloatImage, range: number): Promise<FloatImage> {
  const y = tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(tile.data, [1, tile.height, tile.width, tile.channels]);
    if (range !== 1) x = tf.mul(x, range);
    let out = net(x);
    if (range !== 1) out = tf.div(out, range);
    return tf.clipByValue(out, 0, 1);
  });
  try {
    const data = (await y.data()) as Float32Array;
    return { width: y.shape[2], height: y.shape[1], channels: tile.channels, data };
  } finally {
    y.dispose();
  }
}

/** HWC [0,1] -> NCHW in the graph's range, and back (clamped). */
function toNchw(t: FloatImage, range: number): Float32Array {
  const px = t.width * t.height;
  const c = t.channels;
  const out = new Float32Array(px * c);
  for (let k = 0; k < c; k++) for (let p = 0; p < px; p++) out[k * px + p] = t.data[p * c + k] * range;
  return out;
}
function fromNchw(d: Float32Array, c: number, h: number, w: number, range: number): FloatImage {
  const px = w * h;
  const out = new Float32Array(px * c);
  const inv = 1 / range;
  for (let k = 0; k < c; k++)
    for (let p = 0; p < px; p++) {
      const v = d[k * px + p] * inv;
      out[p * c + k] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  return { width: w, height: h, channels: c as 1 | 3, data: out };
}

/** Graph input side must be a multiple of m: pad by reflection at the far edges, crop after. */
function padToMultiple(t: FloatImage, m: number): FloatImage {
  const W = Math.ceil(t.width / m) * m;
  const H = Math.ceil(t.height / m) * m;
  if (W === t.width && H === t.height) return t;
  const c = t.channels;
  const data = new Float32Array(W * H * c);
  const refl = (i: number, n: number) => (i < n ? i : Math.max(0, 2 * n - 2 - i));
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const s = (refl(y, t.height) * t.width + refl(x, t.width)) * c;
      for (let k = 0; k < c; k++) data[(y * W + x) * c + k] = t.data[s + k];
    }
  return { width: W, height: H, channels: c, data };
}

function cropTo(t: FloatImage, w: number, h: number): FloatImage {
  if (t.width === w && t.height === h) return t;
  const c = t.channels;
  const data = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) data.set(t.data.subarray(y * t.width * c, (y * t.width + w) * c), y * w * c);
  return { width: w, height: h, channels: c, data };
}

/** A failure of the runtime itself (not of the photo or the request): the next backend may do. */
class NetFailure extends Error {
  constructor(readonly backend: BackendName, override readonly cause: Error) {
    super(cause.message);
  }
}

/** The tile function of one native step `s` on one backend. */
async function tileFunction(spec: NetSpec, backend: BackendName, s: number): Promise<(t: FloatImage) => Promise<FloatImage>> {
  const provider = ortProvider(backend);
  const pre = (t: FloatImage) => (spec.interpolateFirst ? imresize(t, { scale: s }) : t);
  if (provider) {
    if (!spec.graph) throw new StudioError('E_BACKEND_UNAVAILABLE', `this net has no graph for ONNX Runtime`);
    const graph = await spec.graph(s);
    const net = await ortNet(graph, provider);
    const m = graph.sizeMultiple ?? 1;
    return async (tile) => {
      const t = m > 1 ? padToMultiple(pre(tile), m) : pre(tile);
      const y = await net.run(toNchw(t, graph.range), t.height, t.width);
      const out = fromNchw(y.data, y.channels, y.height, y.width, graph.range);
      return m > 1 ? cropTo(out, Math.round(tile.width * s), Math.round(tile.height * s)) : out;
    };
  }
  await ensureBackend(backend);
  const net = await spec.net(s);
  return (t) => runTile(net, pre(t), spec.range);
}

/** The backends this net can run on for this request, first choice first. */
async function backendsFor(ctx: UpscaleContext, spec: NetSpec): Promise<BackendName[]> {
  const chain = await inferenceChain(ctx.backend ?? preferenceFromEnv());
  return chain.filter((b) => !ortProvider(b) || spec.graph);
}

/**
 * Run one native step on the first backend of `chain` that gets through it; a backend that
 * fails (device lost, out of memory after splitting tiles down, a missing kernel) hands the
 * step to the next one with a visible notice. Photo and request errors are not retried.
 */
async function runStep<T>(
  ctx: UpscaleContext,
  spec: NetSpec,
  chain: BackendName[],
  s: number,
  k: number,
  tiled: (opts: TileOptions, fn: (t: FloatImage) => Promise<FloatImage>) => Promise<T>,
): Promise<{ result: T; backend: BackendName }> {
  let lastErr: Error | undefined;
  for (const [i, backend] of chain.entries()) {
    if (i > 0) ctx.onEvent?.({ backend, notice: true, message: `${chain[i - 1]} failed (${lastErr?.message.split('\n')[0].slice(0, 200)}); continuing on ${backend}` });
    try {
      let fn: (t: FloatImage) => Promise<FloatImage>;
      try {
        fn = await tileFunction(spec, backend, s);
      } catch (err) {
        throw err instanceof StudioError && err.code !== 'E_BACKEND_UNAVAILABLE' ? err : new NetFailure(backend, err as Error);
      }
      const guarded = async (t: FloatImage): Promise<FloatImage> => {
        try {
          return await fn(t);
        } catch (err) {
          // Allocation failures reach the tiler (it splits the tile); others end this backend's try.
          if (isAllocationFailure(err)) throw err;
          throw err instanceof StudioError ? err : new NetFailure(backend, err as Error);
        }
      };
      const opts: TileOptions = {
        scale: s,
        tile: spec.tile ?? chooseTileSize(spec.bytesPerPixel(s), backend),
        overlap: spec.overlap,
        margin: spec.margin,
        pad: spec.prepad ?? Math.max(spec.margin, spec.overlap),
        signal: ctx.signal,
        onTile: (done, total) => ctx.onProgress?.({ phase: 'infer', done, total, unit: 'tiles', step: k + 1, message: `x${s} tile ${done}/${total}` }),
        onSplit: (tile) => ctx.onEvent?.({ backend, notice: true, message: `${backend} ran out of memory on a tile; continuing with tiles of ${tile} px` }),
      };
      return { result: await tiled(opts, guarded), backend };
    } catch (err) {
      const failure = err instanceof NetFailure ? err : isAllocationFailure(err) ? new NetFailure(backend, err as Error) : undefined;
      if (!failure) throw err;
      lastErr = failure.cause;
      if (ortProvider(backend)) await releaseOrtSessions(ortProvider(backend));
    }
  }
  throw new StudioError('E_BACKEND_UNAVAILABLE', `every compute backend failed on this net; the last error: ${lastErr?.message ?? 'unknown'}`, { tried: chain });
}

function announce(ctx: UpscaleContext, label: string, plan: ReturnType<typeof planScales>, backend: BackendName): void {
  ctx.onEvent?.({ backend, message: `${label} on ${backend}: ${plan.steps.map((s) => `x${s}`).join(' then ')}${plan.resize ? ' then bicubic to size' : ''}` });
}

/**
 * True when every pixel has R = G = B (within half a level of 16 bits): a greyscale photo
 * stored as RGB. Its result is made grey too (nets are not exactly colour-symmetric).
 */
export function isAchromatic(img: FloatImage): boolean {
  if (img.channels === 1) return true;
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) if (Math.abs(d[i] - d[i + 1]) > 8e-6 || Math.abs(d[i] - d[i + 2]) > 8e-6) return false;
  return true;
}

function greyInPlace(data: Float32Array): void {
  for (let i = 0; i < data.length; i += 3) {
    const v = (data[i] + data[i + 1] + data[i + 2]) / 3;
    data[i] = data[i + 1] = data[i + 2] = v;
  }
}

/** Upscale with a net at any scale (see planScales), tiled, on the preferred backend. */
export async function upscaleWithNet(img: FloatImage, ctx: UpscaleContext, spec: NetSpec, label: string): Promise<FloatImage> {
  const plan = planScales(ctx.scale, spec.scales);
  const product = plan.steps.reduce((a, b) => a * b, 1);
  // Refuse before loading anything: the largest image held is the last net step's output.
  checkTiledOutput(img.width, img.height, 3, product);
  const chain = await backendsFor(ctx, spec);
  announce(ctx, label, plan, chain[0]);
  const grey = isAchromatic(img);
  let cur = toRgb(img);
  for (const [k, s] of plan.steps.entries()) {
    const input = cur;
    const step = await runStep(ctx, spec, chain, s, k, (opts, fn) => inferTiled(input, opts, fn));
    cur = step.result;
    // The backend that worked goes first for the next step.
    if (step.backend !== chain[0]) chain.splice(0, chain.length, ...chain.slice(chain.indexOf(step.backend)));
  }
  const size = outputSize(img.width, img.height, ctx.scale);
  if (plan.resize || cur.width !== size.width || cur.height !== size.height) {
    cur = imresize(cur, size, 'bicubic', true, { signal: ctx.signal });
    for (let i = 0; i < cur.data.length; i++) cur.data[i] = Math.min(1, Math.max(0, cur.data[i]));
  }
  if (img.channels === 1) return toGray(cur);
  if (grey) greyInPlace(cur.data);
  return cur;
}

/**
 * The same as upscaleWithNet for a single native step, with finished rows quantized into the
 * 8/16-bit output as the tiles complete: the float output (12 bytes per pixel) never exists.
 * Undefined when the scale needs several steps or a final resize.
 */
export async function upscaleWithNetToSamples(img: FloatImage, ctx: UpscaleContext, spec: NetSpec, label: string, depth: 8 | 16): Promise<SampleImage | undefined> {
  const plan = planScales(ctx.scale, spec.scales);
  const size = outputSize(img.width, img.height, ctx.scale);
  const [s] = plan.steps;
  if (plan.steps.length !== 1 || plan.resize || Math.round(img.width * s) !== size.width || Math.round(img.height * s) !== size.height) return undefined;
  checkTiledOutput(img.width, img.height, 3, s);
  const chain = await backendsFor(ctx, spec);
  announce(ctx, label, plan, chain[0]);
  const c = img.channels;
  const grey = c === 1 || isAchromatic(img);
  const max = depth === 16 ? 65535 : 255;
  const n = size.width * size.height * c;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const q = (v: number) => toSample(v, max);
  const write = (band: TileBand) => {
    const src = band.data;
    const px = band.width * band.height;
    const base = band.y * band.width * c;
    if (c === 1) for (let p = 0; p < px; p++) data[base + p] = q((src[3 * p] + src[3 * p + 1] + src[3 * p + 2]) / 3);
    else if (grey)
      for (let p = 0; p < px; p++) {
        const v = q((src[3 * p] + src[3 * p + 1] + src[3 * p + 2]) / 3); // grey in, grey out
        data[base + 3 * p] = data[base + 3 * p + 1] = data[base + 3 * p + 2] = v;
      }
    else for (let i = 0; i < px * 3; i++) data[base + i] = q(src[i]);
  };
  await runStep(ctx, spec, chain, s, 0, (opts, fn) => inferTiledBands(toRgb(img), opts, fn, write));
  return { width: size.width, height: size.height, channels: c, data };
}

/** An Upscaler that is one net run by upscaleWithNet (the pretrained and user-trained models). */
export function netUpscaler(info: ModelInfo, spec: NetSpec, label: string): Upscaler {
  return {
    info,
    upscale: (img, ctx) => upscaleWithNet(img, ctx, spec, label),
    upscaleToSamples: (img, ctx, depth) => upscaleWithNetToSamples(img, ctx, spec, label, depth),
  };
}
