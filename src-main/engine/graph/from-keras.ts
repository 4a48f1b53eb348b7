// A Keras functional model (tfjs layers format: model.json topology + weights) -> Graph, for the
// layer kinds the studio's nets use: Conv2D, Activation, Concatenate, Add, UpSampling2D and the
// ESRGAN packages' custom MultiplyBeta / PixelShuffle<s>x. Keras is NHWC with HWIO kernels; the
// Graph is NCHW with OIHW weights, so channel axes and kernels are converted here.
import { StudioError } from '../../contract/errors';
import { checkGraph, type Graph, type GraphNode } from './ir';

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  /** [[ [layerName, nodeIndex, tensorIndex, kwargs], ... ]] */
  inbound_nodes: [string, number, number, unknown][][];
}

interface KerasTopology {
  model_config?: { class_name: string; config: { layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] } };
}

export interface KerasWeights {
  /** By weight name, e.g. 'F_1_1/kernel' (HWIO) and 'F_1_1/bias'. */
  get(name: string): { data: Float32Array; shape: number[] } | undefined;
}

/** Weights from tfjs artifacts (float32 only; the ESRGAN packages ship float32). */
export function kerasWeights(specs: { name: string; shape: number[]; dtype: string }[], data: ArrayBuffer): KerasWeights {
  const map = new Map<string, { data: Float32Array; shape: number[] }>();
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== 'float32') throw new StudioError('E_MODEL_UNSUPPORTED', `weight ${s.name} is ${s.dtype}; only float32 models convert`);
    map.set(s.name, { data: new Float32Array(data.slice(off, off + 4 * n)), shape: s.shape });
    off += 4 * n;
  }
  return { get: (name) => map.get(name) };
}

/** HWIO [kh,kw,ci,co] (TensorFlow's kernel layout) -> OIHW [co,ci,kh,kw]. */
export function hwioToOihw(k: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o];
  return out;
}

function unsupported(layer: KerasLayer, why: string): StudioError {
  return new StudioError('E_MODEL_UNSUPPORTED', `layer ${layer.name} (${layer.class_name}): ${why}`);
}

function pointwise(l: KerasLayer, out: string, input: string, act: unknown): GraphNode {
  if (act === 'relu') return { op: 'relu', out, input };
  if (act === 'sigmoid') return { op: 'sigmoid', out, input };
  if (act === 'tanh') return { op: 'tanh', out, input };
  throw unsupported(l, `activation '${String(act)}'`);
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)]);

/**
 * The Graph of a Keras functional image model. `range` is the value range the net expects and
 * `scale` its output/input size ratio (both from the model's catalogue entry).
 */
export function kerasToGraph(name: string, topology: unknown, weights: KerasWeights, opts: { scale: number; range: number }): Graph {
  const cfg = (topology as KerasTopology).model_config;
  if (!cfg || !Array.isArray(cfg.config?.layers)) throw new StudioError('E_MODEL_UNSUPPORTED', `${name}: not a Keras functional model`);
  const nodes: GraphNode[] = [];
  let input: string | undefined;
  let inChannels = 3;
  const ref = (l: KerasLayer): string[] => (l.inbound_nodes[0] ?? []).map((e) => e[0]);
  for (const l of cfg.config.layers) {
    const c = l.config;
    const ins = ref(l);
    const out = l.name;
    switch (l.class_name) {
      case 'InputLayer': {
        input = out;
        const shape = c.batch_input_shape as (number | null)[] | undefined;
        inChannels = Number(shape?.[3] ?? 3);
        break;
      }
      case 'Conv2D': {
        if (c.data_format && c.data_format !== 'channels_last') throw unsupported(l, 'only channels_last');
        const [kh, kw] = pair(c.kernel_size);
        const [sh, sw] = pair(c.strides ?? 1);
        const [dh, dw] = pair(c.dilation_rate ?? 1);
        if (kh !== kw || sh !== sw || dh !== 1 || dw !== 1 || Number(c.groups ?? 1) !== 1) throw unsupported(l, 'only square, undilated, ungrouped kernels');
        const same = c.padding === 'same';
        if (!same && kh !== 1) throw unsupported(l, `padding '${String(c.padding)}' with a ${kh}x${kw} kernel`);
        const k = weights.get(`${out}/kernel`);
        if (!k) throw unsupported(l, 'kernel weights missing');
        const b = c.use_bias === false ? undefined : weights.get(`${out}/bias`);
        const act = c.activation;
        const convOut = act && act !== 'linear' ? `${out}:pre` : out;
        nodes.push({
          op: 'conv',
          out: convOut,
          input: ins[0],
          weight: hwioToOihw(k.data, k.shape),
          weightShape: [k.shape[3], k.shape[2], kh, kw],
          ...(b ? { bias: b.data } : {}),
          pad: same ? kh >> 1 : 0,
          stride: sh,
        });
        if (convOut !== out) nodes.push(pointwise(l, out, convOut, act));
        break;
      }
      case 'Activation':
        nodes.push(pointwise(l, out, ins[0], c.activation));
        break;
      case 'Concatenate': {
        const axis = Number(c.axis ?? -1);
        if (axis !== -1 && axis !== 3) throw unsupported(l, `concatenation on axis ${axis}`);
        nodes.push({ op: 'concat', out, inputs: ins });
        break;
      }
      case 'Add': {
        // Keras Add takes any number of inputs: a chain of two-input adds.
        if (ins.length < 2) throw unsupported(l, 'fewer than two inputs');
        let acc = ins[0];
        for (let i = 1; i < ins.length; i++) {
          const id = i === ins.length - 1 ? out : `${out}:${i}`;
          nodes.push({ op: 'add', out: id, inputs: [acc, ins[i]] });
          acc = id;
        }
        break;
      }
      case 'UpSampling2D': {
        const [fh, fw] = pair(c.size ?? 2);
        if (fh !== fw || (c.interpolation ?? 'nearest') !== 'nearest') throw unsupported(l, 'only square nearest upsampling');
        nodes.push({ op: 'upsampleNearest', out, input: ins[0], factor: fh });
        break;
      }
      case 'MultiplyBeta':
        nodes.push({ op: 'scale', out, input: ins[0], factor: 0.2 });
        break;
      default: {
        const m = /^PixelShuffle(\d)x$/.exec(l.class_name);
        if (!m) throw unsupported(l, 'layer kind not supported');
        // tf.depthToSpace (NHWC) orders channels as TensorFlow's DCR.
        nodes.push({ op: 'pixelShuffle', out, input: ins[0], factor: Number(m[1]), mode: 'DCR' });
      }
    }
  }
  const outputs = cfg.config.output_layers;
  if (!input || outputs.length !== 1) throw new StudioError('E_MODEL_UNSUPPORTED', `${name}: one image input and one output are needed`);
  const output = outputs[0][0];
  const last = [...nodes].reverse().find((n) => n.out === output);
  const outChannels = last?.op === 'conv' ? last.weightShape[0] : 3;
  const g: Graph = { name, input, inChannels, nodes, output, outChannels, scale: opts.scale, range: opts.range };
  checkGraph(g);
  return g;
}
