import { createHash } from 'node:crypto';
import { StudioError } from '../../contract/errors';
import type { FloatImage } from '../../contract/image';
import type { ConvNetWeights } from '../fast/convnet';
import type { NamedWeight } from '../train/learners';
import { packWeights } from '../train/weight-pack';
import type { StoredModel } from '../upscaler';
import type { EffectiveZssrConfig } from './config';
import type { NetShape } from './trainer';

/** Bumped whenever a change would make cached weights give different pixels. */
export const ZSSR_ENGINE_VERSION = 'zssr-3';

/**
 * Cache key: the decoded pixels, the scale, every setting that shapes training and inference,
 * the degradation model and the engine version.
 */
export function zssrCacheKey(img: FloatImage, scale: number, cfg: EffectiveZssrConfig, resamplerId: string): string {
  const h = createHash('sha256');
  h.update(`${ZSSR_ENGINE_VERSION}\n${img.width}x${img.height}x${img.channels}\n${scale}\n`);
  const { kernel_path: _path, ...rest } = cfg;
  h.update(canonicalJson(rest));
  h.update(`\n${resamplerId}\n`);
  h.update(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength));
  return h.digest('hex');
}

/** JSON with the keys of every object sorted, so equal settings always hash alike. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function layerShapes(shape: NetShape): { k: number[]; b: number[] }[] {
  return Array.from({ length: shape.depth }, (_, l) => {
    const ci = l === 0 ? 3 : shape.width;
    const co = l === shape.depth - 1 ? 3 : shape.width;
    return { k: [shape.kernel, shape.kernel, ci, co], b: [co] };
  });
}

/** Weights of every gradual-SR stage as tfjs-style weight specs + one buffer. */
export function toStoredModel(stages: ConvNetWeights[], shape: NetShape, meta: Record<string, unknown>): StoredModel {
  const weights: NamedWeight[] = [];
  const shapes = layerShapes(shape);
  stages.forEach((w, s) => {
    shapes.forEach((sh, l) => {
      weights.push({ name: `stage${s}/conv${l}/kernel`, shape: sh.k, data: w.kernels[l] });
      weights.push({ name: `stage${s}/conv${l}/bias`, shape: sh.b, data: w.biases[l] });
    });
  });
  return { ...packWeights(weights), meta: { ...meta, stages: stages.length, shape } };
}

/** Stage weights back from a stored model; undefined when it does not fit this network. */
export function fromStoredModel(model: StoredModel, shape: NetShape, stages: number): ConvNetWeights[] | undefined {
  const shapes = layerShapes(shape);
  if (model.weightSpecs.length !== stages * shapes.length * 2) return undefined;
  const data = new Float32Array(model.weightData);
  const out: ConvNetWeights[] = [];
  let at = 0;
  let i = 0;
  for (let s = 0; s < stages; s++) {
    const w: ConvNetWeights = { kernels: [], biases: [] };
    for (const sh of shapes) {
      for (const [kind, dims] of [['kernel', sh.k], ['bias', sh.b]] as const) {
        const spec = model.weightSpecs[i++];
        if (spec.name !== `stage${s}/conv${w.kernels.length - (kind === 'bias' ? 1 : 0)}/${kind}` || spec.shape.join() !== dims.join()) return undefined;
        const n = dims.reduce((a, b) => a * b, 1);
        if (at + n > data.length) throw new StudioError('E_CACHE_CORRUPT', 'stored weights are shorter than their specs');
        (kind === 'kernel' ? w.kernels : w.biases).push(data.slice(at, at + n));
        at += n;
      }
    }
    out.push(w);
  }
  return out;
}
