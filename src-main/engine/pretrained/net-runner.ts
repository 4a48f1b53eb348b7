// Runs a fully convolutional upscaling net over a photo of any size: backend choice, scale plan,
// tiles with feathered seams, value range, grey images, cancellation and progress.
import type { ModelInfo } from '../../contract/api';
import { toSample, type FloatImage } from '../../contract/image';
import type { BackendName } from '../../contract/enhance';
import { ensureBackend, preferenceFromEnv, tf } from '../backend';
import type { Graph } from '../graph/ir';
import { toGray, toRgb } from '../channels';
import { imresize } from '../classical/imresize';
import { checkTiledOutput, chooseTileSize, crop, inferTiled, inferTiledBands, type TileOptions } from '../tiling';
import { outputSize, type SampleImage, type UpscaleContext, type Upscaler } from '../upscaler';
import { planScales } from './scale-plan';

export interface NetSpec {
  /** Scales the net exists at. */
  scales: readonly number[];
  /** The net for one native scale: NHWC batch in, NHWC batch out, in the net's value range. */
  net(scale: number): Promise<(x: tf.Tensor4D) => tf.Tensor4D>;
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
  /** The same net as a runtime-neutral graph (for runtimes other than tfjs), when there is one. */
  graph?(scale: number): Promise<Graph>;
  /**
   * Reflect-pad the whole input by this many pixels before each net step and crop the output
   * after (Real-ESRGAN's pre_pad: without it the outermost pixels differ visibly).
   */
  prepad?: number;
}

/** Mirror padding without repeating the edge pixel (PyTorch's 'reflect'), at most side - 1. */
export function reflectPad(img: FloatImage, pad: number): { img: FloatImage; pad: number } {
  const p = Math.max(0, Math.min(pad, img.width - 1, img.height - 1));
  if (p === 0) return { img, pad: 0 };
  const c = img.channels;
  const w = img.width + 2 * p;
  const h = img.height + 2 * p;
  const data = new Float32Array(w * h * c);
  const mirror = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  for (let y = 0; y < h; y++) {
    const sy = mirror(y - p, img.height);
    for (let x = 0; x < w; x++) {
      const s = (sy * img.width + mirror(x - p, img.width)) * c;
      const d = (y * w + x) * c;
      for (let k = 0; k < c; k++) data[d + k] = img.data[s + k];
    }
  }
  return { img: { width: w, height: h, channels: c, data }, pad: p };
}


/** One tile through the net: [0,1] in, [0,1] out (clamped: GAN outputs overshoot a little). */
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

/** Backend, the chosen net and its tiling for one native step `s` (k-th of the plan). */
async function prepareStep(ctx: UpscaleContext, spec: NetSpec, backend: BackendName, s: number, k: number) {
  const net = await spec.net(s);
  const tiles: TileOptions = {
    scale: s,
    tile: spec.tile ?? chooseTileSize(spec.bytesPerPixel(s), backend),
    overlap: spec.overlap,
    margin: spec.margin,
    signal: ctx.signal,
    onTile: (done, total) => ctx.onProgress?.({ phase: 'infer', done, total, step: k + 1, message: `x${s} tile ${done}/${total}` }),
  };
  const run = (t: FloatImage) => runTile(net, spec.interpolateFirst ? imresize(t, { scale: s }) : t, spec.range);
  return { tiles, run };
}

async function startRun(ctx: UpscaleContext, label: string, plan: ReturnType<typeof planScales>): Promise<BackendName> {
  const backend: BackendName = await ensureBackend(ctx.backend ?? preferenceFromEnv());
  ctx.onEvent?.({ backend, message: `${label} on ${backend}: ${plan.steps.map((s) => `x${s}`).join(' then ')}${plan.resize ? ' then bicubic to size' : ''}` });
  return backend;
}

/** Upscale with a net at any scale (see planScales), tiled, on the preferred backend. */
export async function upscaleWithNet(img: FloatImage, ctx: UpscaleContext, spec: NetSpec, label: string): Promise<FloatImage> {
  const plan = planScales(ctx.scale, spec.scales);
  const product = plan.steps.reduce((a, b) => a * b, 1);
  // Refuse before loading anything: the largest image held is the last net step's output.
  checkTiledOutput(img.width, img.height, 3, product);
  const backend = await startRun(ctx, label, plan);
  let cur = toRgb(img);
  for (const [k, s] of plan.steps.entries()) {
    const step = await prepareStep(ctx, spec, backend, s, k);
    const padded = reflectPad(cur, spec.prepad ?? 0);
    const out = await inferTiled(padded.img, step.tiles, step.run);
    cur = padded.pad ? crop(out, padded.pad * s, padded.pad * s, cur.width * s, cur.height * s) : out;
  }
  const size = outputSize(img.width, img.height, ctx.scale);
  if (plan.resize || cur.width !== size.width || cur.height !== size.height) {
    cur = imresize(cur, size, 'bicubic', true, { signal: ctx.signal });
    for (let i = 0; i < cur.data.length; i++) cur.data[i] = Math.min(1, Math.max(0, cur.data[i]));
  }
  return img.channels === 1 ? toGray(cur) : cur;
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
  const backend = await startRun(ctx, label, plan);
  const step = await prepareStep(ctx, spec, backend, s, 0);
  const c = img.channels;
  const max = depth === 16 ? 65535 : 255;
  const n = size.width * size.height * c;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const q = (v: number) => toSample(v, max);
  const padded = reflectPad(toRgb(img), spec.prepad ?? 0);
  const off = padded.pad * s; // the padding's share of each band, cropped as rows are written
  await inferTiledBands(padded.img, step.tiles, step.run, (band) => {
    const src = band.data;
    for (let r = 0; r < band.height; r++) {
      const y = band.y + r - off;
      if (y < 0 || y >= size.height) continue;
      const from = (r * band.width + off) * 3;
      const base = y * size.width * c;
      if (c === 3) for (let i = 0; i < size.width * 3; i++) data[base + i] = q(src[from + i]);
      else for (let p = 0; p < size.width; p++) data[base + p] = q((src[from + 3 * p] + src[from + 3 * p + 1] + src[from + 3 * p + 2]) / 3); // grey in, grey out
    }
  });
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
