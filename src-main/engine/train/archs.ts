// The trainable architectures of `studio train`, as parameter lists + forward functions over
// plain tensors (no tfjs-layers), so the same code trains (im2col convs) and infers (native convs).
import { StudioError } from '../../contract/errors';
import { tf } from '../backend';
import { conv, leaky, pixelShuffle, type ConvMode } from './ops';
import type { Rng } from './rng';

export const ARCHS = ['cnn', 'residual', 'gan'] as const;
export type ArchName = (typeof ARCHS)[number];

export interface ArchConfig {
  arch: ArchName;
  scale: number;
  /** Channels of the hidden conv layers. */
  width: number;
  /** Hidden conv layers (the generator's, for 'gan'). */
  depth: number;
}

export interface ParamSpec {
  name: string;
  shape: number[];
  /** 'he': N(0, 2/fan_in); 'zssr': N(0, 0.1/fan_in) as ZSSR; 'zeros'. */
  init: 'he' | 'zssr' | 'zeros';
}

export type Params = Record<string, tf.Tensor>;

export interface NetDef {
  params: ParamSpec[];
  forward(p: Params, x: tf.Tensor4D, mode: ConvMode): tf.Tensor4D;
}

function convSpec(name: string, k: number, cin: number, cout: number, init: ParamSpec['init'] = 'he'): ParamSpec[] {
  return [
    { name: `${name}/kernel`, shape: [k, k, cin, cout], init },
    { name: `${name}/bias`, shape: [cout], init: 'zeros' },
  ];
}

const c3 = (p: Params, name: string, x: tf.Tensor4D, mode: ConvMode, stride: 1 | 2 = 1) => conv(x, p[`${name}/kernel`], p[`${name}/bias`], mode, stride);

/** Upsampling stages: x4 = two x2 stages (as ESRGAN), x2 and x3 one stage. */
export function upStages(scale: number): number[] {
  if (scale === 2 || scale === 3) return [scale];
  if (scale === 4) return [2, 2];
  throw new StudioError('E_INVALID_ARGUMENT', `trainable scales are 2, 3 and 4, got ${scale}`);
}

/**
 * Document 000's CNN: `depth` conv layers (3x3, `width` channels, ReLU) on the LR image, then
 * up-sampling (a conv to 3*s*s channels + depth-to-space) and a sigmoid RGB output. [0,1] in/out.
 */
export function cnnNet(c: ArchConfig): NetDef {
  upStages(c.scale);
  const params: ParamSpec[] = [];
  for (let l = 0; l < c.depth; l++) params.push(...convSpec(`conv${l}`, 3, l === 0 ? 3 : c.width, c.width));
  params.push(...convSpec('up', 3, c.width, 3 * c.scale * c.scale));
  return {
    params,
    forward(p, x, mode) {
      let h = x;
      for (let l = 0; l < c.depth; l++) h = tf.relu(c3(p, `conv${l}`, h, mode));
      return tf.sigmoid(pixelShuffle(c3(p, 'up', h, mode), c.scale));
    },
  };
}

/**
 * ZSSR-style residual CNN: the input is the bicubic-interpolated image (HR size); `depth` 3x3
 * conv layers with ReLU between learn only the residual. Same layout and initialisation as
 * engine/fast's ConvNet, which trains it (biases stay zero there, as in ZSSR).
 */
export function residualNet(c: ArchConfig): NetDef {
  const params: ParamSpec[] = [];
  for (let l = 0; l < c.depth; l++) params.push(...convSpec(`conv${l}`, 3, l === 0 ? 3 : c.width, l === c.depth - 1 ? 3 : c.width, 'zssr'));
  return {
    params,
    forward(p, x, mode) {
      let h = x;
      for (let l = 0; l < c.depth; l++) {
        h = c3(p, `conv${l}`, h, mode);
        if (l < c.depth - 1) h = tf.relu(h);
      }
      return tf.add(x, h);
    },
  };
}

/**
 * Document 001's generator: conv + LeakyReLU(0.2) feature layers on the LR image with a global
 * skip, up-sampling by learned sub-pixel (transposed-equivalent) convolutions, tanh output.
 * Images in [-1, 1]. The tanh output is a correction added to the bilinearly enlarged input, so
 * an untrained generator already gives a plain enlargement and training (a few thousand CPU steps
 * at Adam 1e-4) only has to learn the detail.
 */
export function ganGenerator(c: ArchConfig): NetDef {
  const stages = upStages(c.scale);
  const params: ParamSpec[] = [...convSpec('head', 3, 3, c.width)];
  for (let l = 0; l < c.depth; l++) params.push(...convSpec(`body${l}`, 3, c.width, c.width));
  stages.forEach((r, i) => params.push(...convSpec(`up${i}`, 3, c.width, c.width * r * r)));
  params.push(...convSpec('tail', 3, c.width, 3, 'zeros')); // start as the plain enlargement
  return {
    params,
    forward(p, x, mode) {
      const head = leaky(c3(p, 'head', x, mode));
      let h = head;
      for (let l = 0; l < c.depth; l++) h = leaky(c3(p, `body${l}`, h, mode));
      h = tf.add(h, head);
      stages.forEach((r, i) => {
        h = leaky(pixelShuffle(c3(p, `up${i}`, h, mode), r));
      });
      const [, H, W] = x.shape;
      const base = tf.image.resizeBilinear(x, [H * c.scale, W * c.scale], false, true);
      return tf.add(base, tf.tanh(c3(p, 'tail', h, mode)));
    },
  };
}

/** Document 001's discriminator: strided convs with LeakyReLU(0.2), one least-squares score per patch. */
export function ganDiscriminator(c: ArchConfig): NetDef {
  const w = Math.max(8, Math.round(c.width / 2));
  const layers: [number, number, 1 | 2][] = [
    [3, w, 1],
    [w, w, 2],
    [w, 2 * w, 1],
    [2 * w, 2 * w, 2],
    [2 * w, 4 * w, 1],
    [4 * w, 4 * w, 2],
  ];
  const params: ParamSpec[] = [];
  layers.forEach(([ci, co], i) => params.push(...convSpec(`d${i}`, 3, ci, co)));
  params.push(...convSpec('score', 3, 4 * w, 1));
  return {
    params,
    forward(p, x, mode) {
      let h = x;
      layers.forEach(([, , s], i) => {
        h = leaky(c3(p, `d${i}`, h, mode, s));
      });
      return c3(p, 'score', h, mode);
    },
  };
}

/** The net that makes the pictures (the GAN's generator). */
export function imageNet(c: ArchConfig): NetDef {
  switch (c.arch) {
    case 'cnn':
      return cnnNet(c);
    case 'residual':
      return residualNet(c);
    case 'gan':
      return ganGenerator(c);
  }
}

/** Fresh weights for a parameter list, drawn from `rng` (reproducible). */
export function initWeights(specs: ParamSpec[], rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (s.init !== 'zeros') {
      const fanIn = s.shape.slice(0, -1).reduce((x, y) => x * y, 1);
      const std = Math.sqrt((s.init === 'zssr' ? 0.1 : 2) / fanIn);
      for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
    }
    out.set(s.name, a);
  }
  return out;
}

/** Activation bytes per input pixel at inference (sets the tile size). */
export function inferenceBytesPerPixel(c: ArchConfig): number {
  const hrPerLr = c.scale * c.scale;
  switch (c.arch) {
    case 'cnn':
      return 4 * (3 * c.width + 6 * hrPerLr);
    case 'residual':
      return 4 * hrPerLr * (3 * c.width + 12);
    case 'gan':
      return 4 * (3 * c.width + 3 * c.width * hrPerLr);
  }
}

/** Receptive-field radius in input (LR) pixels: how much context a tile edge spoils. */
export function receptiveRadius(c: ArchConfig): number {
  switch (c.arch) {
    case 'cnn':
      return c.depth + 1;
    case 'residual':
      return Math.ceil(c.depth / c.scale) + 2; // convs run at HR size; + the bicubic support
    case 'gan':
      return c.depth + 2 + upStages(c.scale).length;
  }
}
