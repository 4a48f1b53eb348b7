// The ESRGAN upscalers (slim, medium, thick), loaded from node_modules on first use.
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelInfo } from '../../contract/api';
import type { tf } from '../backend';
import type { Upscaler } from '../upscaler';
import { kerasToGraph, kerasWeights } from '../graph/from-keras';
import type { Graph } from '../graph/ir';
import { PRETRAINED, diskSize, modelDir, netGeometry, withLazySize, type PretrainedSpec } from './catalog';
import { registerEsrganLayers } from './custom-layers';
import { dirLoader, loadArtifacts } from './model-files';
import { netUpscaler } from './net-runner';
import { PromiseLru } from '../lru';

// Loaded models; four are kept (thick weighs ~29 MB per scale, slim ~1 MB).
const loaded = new PromiseLru<tfl.LayersModel>(4, (m) => m.dispose());

/** The LayersModel of one pretrained model at one native scale (cached). */
export function loadPretrained(spec: PretrainedSpec, scale: number): Promise<tfl.LayersModel> {
  return loaded.get(`${spec.id}@${scale}`, () => {
    registerEsrganLayers();
    return tfl.loadLayersModel(dirLoader(modelDir(spec, scale)));
  });
}

// Graphs (for ONNX Runtime) of the same models, two kept; the sessions are cached by ort-exec.
const graphs = new PromiseLru<Graph>(2);

/** The Graph of one pretrained model at one native scale (cached). */
export function pretrainedGraph(spec: PretrainedSpec, scale: number): Promise<Graph> {
  return graphs.get(`${spec.id}@${scale}`, async () => {
    const a = await loadArtifacts(modelDir(spec, scale));
    return kerasToGraph(`${spec.id}-x${scale}`, a.modelTopology, kerasWeights(a.weightSpecs ?? [], a.weightData as ArrayBuffer), { scale, range: spec.range });
  });
}

/** Drop every loaded model (tests, memory pressure). */
export async function unloadPretrained(): Promise<void> {
  await graphs.clear();
  await loaded.clear();
}

/** Knobs for tests and benchmarks; the studio uses the defaults. */
export interface EsrganOptions {
  tile?: number;
}

export function esrganUpscaler(spec: PretrainedSpec, opts: EsrganOptions = {}): Upscaler {
  const info: ModelInfo = {
    id: spec.id,
    family: 'pretrained',
    label: spec.label,
    scales: [...spec.scales],
    description: `${spec.description} Other scales: the next larger native model, then a bicubic resample to size.`,
    license: 'MIT',
    source: `${spec.pkg} 1.0.0 (UpscalerJS, https://github.com/thekevinscott/UpscalerJS)`,
    speed: spec.speed,
  };
  withLazySize(info, () => diskSize(spec));
  return netUpscaler(
    info,
    {
      ...netGeometry(spec),
      tile: opts.tile,
      net: async (s) => {
        const model = await loadPretrained(spec, s);
        return (x: tf.Tensor4D) => model.predict(x) as tf.Tensor4D;
      },
      graph: (s) => pretrainedGraph(spec, s),
    },
    spec.label,
  );
}

export const pretrainedUpscalers: Upscaler[] = PRETRAINED.map((s) => esrganUpscaler(s));
