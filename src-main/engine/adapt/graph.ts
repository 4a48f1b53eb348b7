// A Keras functional model (model.json topology + weights) as a plain forward function over
// tensors, built from engine/train's differentiable ops, so the pretrained ESRGAN nets can be
// fine-tuned on backends without convolution gradients (wasm).
import { StudioError } from '../../contract/errors';
import { tf } from '../backend';
import { loadArtifacts } from '../pretrained/model-files';
import { conv, pixelShuffle, type ConvMode } from '../train/ops';
import type { NamedWeight } from '../train/learners';
import { unpackWeights } from '../train/weight-pack';

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

interface Topology {
  model_config?: { config?: { layers?: KerasLayer[]; input_layers?: [string, number, number][]; output_layers?: [string, number, number][] } };
}

export interface GraphNet {
  /** Trainable weights in the model's own naming (`<layer>/kernel`, `<layer>/bias`). */
  weights: NamedWeight[];
  forward(p: Record<string, tf.Tensor>, x: tf.Tensor4D, mode: ConvMode): tf.Tensor4D;
}

const SUPPORTED = new Set(['InputLayer', 'Conv2D', 'Activation', 'Concatenate', 'Add', 'UpSampling2D', 'MultiplyBeta']);

function activate(x: tf.Tensor4D, act: unknown, layer: string): tf.Tensor4D {
  if (act === undefined || act === 'linear') return x;
  if (act === 'relu') return tf.relu(x);
  throw new StudioError('E_MODEL_NOT_FOUND', `layer ${layer}: activation '${String(act)}' is not supported for fine-tuning`);
}

/** Interpret a model folder's topology; fails with E_MODEL_NOT_FOUND on layers it does not know. */
export async function loadGraphNet(dir: string): Promise<GraphNet> {
  const a = await loadArtifacts(dir);
  const cfg = (a.modelTopology as Topology | undefined)?.model_config?.config;
  const layers = cfg?.layers;
  if (!layers || !cfg?.input_layers?.length || !cfg.output_layers?.length) throw new StudioError('E_MODEL_NOT_FOUND', `${dir} is not a Keras functional model`);
  for (const l of layers) {
    if (!SUPPORTED.has(l.class_name) && !/^PixelShuffle\dx$/.test(l.class_name)) {
      throw new StudioError('E_MODEL_NOT_FOUND', `layer ${l.name}: ${l.class_name} is not supported for fine-tuning`);
    }
  }
  const data = a.weightData instanceof ArrayBuffer ? a.weightData : undefined;
  if (!data || !a.weightSpecs) throw new StudioError('E_MODEL_NOT_FOUND', `no weights in ${dir}`);
  const weights = unpackWeights(a.weightSpecs, data);
  const output = cfg.output_layers[0][0];
  return {
    weights,
    forward(p, x, mode) {
      const out = new Map<string, tf.Tensor4D>();
      for (const l of layers) {
        if (l.class_name === 'InputLayer') {
          out.set(l.name, x);
          continue;
        }
        const ins = (l.inbound_nodes[0] ?? []).map(([name]) => {
          const t = out.get(name);
          if (!t) throw new StudioError('E_MODEL_NOT_FOUND', `layer ${l.name} reads ${name}, which comes later`);
          return t;
        });
        const c = l.config;
        let y: tf.Tensor4D;
        switch (l.class_name) {
          case 'Conv2D': {
            const strides = (c.strides as number[] | undefined) ?? [1, 1];
            const k = (c.kernel_size as number[])[0];
            if (strides[0] !== 1 || (c.padding === 'valid' && k !== 1)) throw new StudioError('E_MODEL_NOT_FOUND', `layer ${l.name}: only stride 1 'same' convolutions are supported`);
            const bias = p[`${l.name}/bias`] ?? tf.zeros([c.filters as number]);
            y = activate(conv(ins[0], p[`${l.name}/kernel`], bias, mode), c.activation, l.name);
            break;
          }
          case 'Activation':
            y = activate(ins[0], c.activation, l.name);
            break;
          case 'Concatenate':
            y = tf.concat(ins, 3);
            break;
          case 'Add':
            y = ins.slice(1).reduce((s, t) => tf.add(s, t), ins[0]);
            break;
          case 'UpSampling2D': {
            const [sy, sx] = c.size as number[];
            const [, H, W] = ins[0].shape;
            y = tf.image.resizeNearestNeighbor(ins[0], [H * sy, W * sx]);
            break;
          }
          case 'MultiplyBeta':
            y = tf.mul(ins[0], 0.2);
            break;
          default: {
            const r = Number(/^PixelShuffle(\d)x$/.exec(l.class_name)?.[1]);
            y = pixelShuffle(ins[0], r);
          }
        }
        out.set(l.name, y);
      }
      const y = out.get(output);
      if (!y) throw new StudioError('E_MODEL_NOT_FOUND', `output layer ${output} not found`);
      return y;
    },
  };
}
