// The ESRGAN upscalers (slim, medium, thick), loaded from node_modules on first use.
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelInfo } from '../../contract/api';
import type { tf } from '../backend';
import type { Upscaler } from '../upscaler';
import { kerasToGraph, kerasWeights } from '../graph/from-keras';
import type { Graph } from '../graph/ir';
import { PRETRAINED, diskSize, modelDir, netGeometry, type PretrainedSpec } from './catalog';
import { registerEsrganLayers } from './custom-layers';
import { dirLoader, loadArtifacts } from './model-files';
import { netUpscaler } from './net-runner';

// Loaded models, most recent last; four are kept (thick weighs ~29 MB per scale, slim ~1 MB).
const MAX_LOADED = 4;
const loaded = new Map<string, Promise<tfl.LayersModel>>();

/** The LayersModel of one pretrained model at one native scale (cached). */
export function loadPretrained(spec: PretrainedSpec, scale: number): Promise<tfl.LayersModel> {
  const key = `${spec.id}@${scale}`;
  let p = loaded.get(key);
  if (p) {
    loaded.delete(key);
    loaded.set(key, p);
    return p;
  }
  registerEsrganLayers();
  const dir = modelDir(spec, scale);
  p = tfl.loadLayersModel(dirLoader(dir));
  loaded.set(key, p);
  p.catch(() => loaded.delete(key));
  while (loaded.size > MAX_LOADED) {
    const [oldKey, old] = loaded.entries().next().value as [string, Promise<tfl.LayersModel>];
    loaded.delete(oldKey);
    void old.then((m) => m.dispose()).catch(() => undefined);
  }
  return p;
}

// Graphs (for ONNX Runtime) of the same models; the sessions are cached by ort-exec.
const graphs = new Map<string, Promise<Graph>>();

/** The Graph of one pretrained model at one native scale (cached; two kept). */
export function pretrainedGraph(spec: PretrainedSpec, scale: number): Promise<Graph> {
  const key = `${spec.id}@${scale}`;
  let g = graphs.get(key);
  if (g) {
    graphs.delete(key);
    graphs.set(key, g);
    return g;
  }
  g = loadArtifacts(modelDir(spec, scale)).then((a) =>
    kerasToGraph(`${spec.id}-x${scale}`, a.modelTopology, kerasWeights(a.weightSpecs ?? [], a.weightData as ArrayBuffer), { scale, range: spec.range }),
  );
  graphs.set(key, g);
  g.catch(() => graphs.delete(key));
  while (graphs.size > 2) graphs.delete(graphs.keys().next().value as string);
  return g;
}

/** Drop every loaded model (tests, memory pressure). */
export async function unloadPretrained(): Promise<void> {
  graphs.clear();
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all) (await p.catch(() => undefined))?.dispose();
}

/** Knobs for tests and benchmarks; the studio uses the defaults. */
export interface EsrganOptions {
  tile?: number;
}

export function esrganUpscaler(spec: PretrainedSpec, opts: EsrganOptions = {}): Upscaler {
  let size: number | undefined | null = null;
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
  // Size is read from disk lazily; listing models must not fail if a package is missing.
  Object.defineProperty(info, 'sizeBytes', {
    enumerable: true,
    get: () => {
      if (size === null) size = diskSize(spec);
      return size;
    },
  });
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
