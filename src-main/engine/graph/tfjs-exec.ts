// Runs a Graph on tfjs (any backend): NHWC tensors, conv weights transposed once from OIHW to
// HWIO. A conv followed by its only reader, a ReLU / leaky ReLU / PReLU, runs as one fused op.
// Values are disposed after their last reader, so peak memory is what the net keeps alive, not
// every activation of the forward pass.
import { tf } from '../backend';
import { nodeInputs, type ConvNode, type Graph, type GraphNode, type ValueId } from './ir';

type Act = { kind: 'relu' } | { kind: 'leakyrelu'; alpha: number } | { kind: 'prelu'; slope: tf.Tensor1D };

interface ConvStep {
  kind: 'conv';
  node: ConvNode;
  filter: tf.Tensor4D;
  bias?: tf.Tensor1D;
  act?: Act;
  /** The activation node folded into this conv (its `out` is the step's output). */
  out: ValueId;
}
type Step = ConvStep | { kind: 'plain'; node: GraphNode; slope?: tf.Tensor1D };

export interface CompiledGraph {
  graph: Graph;
  /** [1,h,w,inChannels] in, [1,h*scale,w*scale,outChannels] out, in the graph's value range. */
  run(x: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/** OIHW -> HWIO ([kh, kw, in, out]), or [kh, kw, in, multiplier] for a depthwise conv. */
function hwio(w: Float32Array, [o, i, kh, kw]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = w[((a * i + b) * kh + y) * kw + x];
  return out;
}

function readers(g: Graph): Map<ValueId, number> {
  const n = new Map<ValueId, number>();
  for (const node of g.nodes) for (const i of nodeInputs(node)) n.set(i, (n.get(i) ?? 0) + 1);
  n.set(g.output, (n.get(g.output) ?? 0) + 1);
  return n;
}

/** Upload the weights of a graph and return its forward function. */
export function compileGraph(g: Graph): CompiledGraph {
  const count = readers(g);
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const steps: Step[] = [];
  for (let k = 0; k < g.nodes.length; k++) {
    const node = g.nodes[k];
    if (node.op !== 'conv') {
      steps.push({ kind: 'plain', node, ...(node.op === 'prelu' ? { slope: keep(tf.tensor1d(node.slope)) } : {}) });
      continue;
    }
    const [o, i, kh, kw] = node.weightShape;
    const groups = node.groups ?? 1;
    const depthwise = groups > 1 && i === 1;
    const filter = depthwise
      ? keep(tf.tensor4d(hwio(node.weight, [o, 1, kh, kw]), [kh, kw, groups, o / groups]))
      : keep(tf.tensor4d(hwio(node.weight, node.weightShape), [kh, kw, i, o]));
    const step: ConvStep = { kind: 'conv', node, filter, out: node.out, ...(node.bias ? { bias: keep(tf.tensor1d(node.bias)) } : {}) };
    const next = g.nodes[k + 1];
    if (groups === 1 && next && 'input' in next && next.input === node.out && count.get(node.out) === 1) {
      if (next.op === 'relu') step.act = { kind: 'relu' };
      else if (next.op === 'leakyRelu') step.act = { kind: 'leakyrelu', alpha: next.alpha };
      else if (next.op === 'prelu' && next.slope.length === o) step.act = { kind: 'prelu', slope: keep(tf.tensor1d(next.slope)) };
      if (step.act) {
        step.out = next.out;
        k++;
      }
    }
    steps.push(step);
  }

  const conv = (s: ConvStep, x: tf.Tensor4D): tf.Tensor4D => {
    const { node } = s;
    const strides = node.stride ?? 1;
    const groups = node.groups ?? 1;
    const pad = node.pad;
    if (groups === 1) {
      return tf.fused.conv2d({
        x,
        filter: s.filter,
        strides,
        pad,
        ...(s.bias ? { bias: s.bias } : {}),
        ...(s.act?.kind === 'relu' ? { activation: 'relu' as const } : {}),
        ...(s.act?.kind === 'leakyrelu' ? { activation: 'leakyrelu' as const, leakyreluAlpha: s.act.alpha } : {}),
        ...(s.act?.kind === 'prelu' ? { activation: 'prelu' as const, preluActivationWeights: s.act.slope } : {}),
      });
    }
    if (node.weightShape[1] === 1) {
      return tf.tidy(() => {
        const padded = pad ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
        const y = tf.depthwiseConv2d(padded, s.filter, strides, 'valid');
        return s.bias ? tf.add(y, s.bias) : y;
      });
    }
    // General grouped conv: one conv per group, joined.
    return tf.tidy(() => {
      const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
      const fs = tf.split(s.filter, groups, 3) as tf.Tensor4D[];
      const y = tf.concat(xs.map((xi, j) => tf.conv2d(xi, fs[j], strides, pad)), 3);
      return (s.bias ? tf.add(y, s.bias) : y) as tf.Tensor4D;
    });
  };

  const plain = (node: GraphNode, v: (id: ValueId) => tf.Tensor4D, slope?: tf.Tensor1D): tf.Tensor4D => {
    switch (node.op) {
      case 'relu':
        return tf.relu(v(node.input));
      case 'leakyRelu':
        return tf.leakyRelu(v(node.input), node.alpha);
      case 'prelu':
        return tf.prelu(v(node.input), slope as unknown as tf.Tensor4D); // slopes broadcast over the channel axis
      case 'sigmoid':
        return tf.sigmoid(v(node.input));
      case 'tanh':
        return tf.tanh(v(node.input));
      case 'scale':
        return tf.mul(v(node.input), node.factor);
      case 'clip':
        return tf.clipByValue(v(node.input), node.min, node.max);
      case 'add':
        return tf.add(v(node.inputs[0]), v(node.inputs[1]));
      case 'concat':
        return tf.concat(node.inputs.map(v), 3);
      case 'upsampleNearest': {
        const x = v(node.input);
        return tf.image.resizeNearestNeighbor(x, [x.shape[1] * node.factor, x.shape[2] * node.factor]);
      }
      case 'upsampleBilinear': {
        const x = v(node.input);
        return tf.image.resizeBilinear(x, [x.shape[1] * node.factor, x.shape[2] * node.factor], false, true);
      }
      case 'pixelShuffle': {
        const x = v(node.input);
        const [, h, w, cin] = x.shape;
        const r = node.factor;
        const c = cin / (r * r);
        return tf.tidy(() => {
          // CRD: channel c*r*r + i*r + j; DCR: channel (i*r + j)*C + c. Either way to [h, i, w, j, c].
          const t = node.mode === 'CRD' ? tf.transpose(tf.reshape(x, [h, w, c, r, r]), [0, 3, 1, 4, 2]) : tf.transpose(tf.reshape(x, [h, w, r, r, c]), [0, 2, 1, 3, 4]);
          return tf.reshape(t, [1, h * r, w * r, c]);
        });
      }
      case 'pixelUnshuffle': {
        const x = v(node.input);
        const [, h, w, c] = x.shape;
        const r = node.factor;
        return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [h / r, r, w / r, r, c]), [0, 2, 4, 1, 3]), [1, h / r, w / r, c * r * r]));
      }
      case 'conv':
        throw new Error('unreachable');
    }
  };

  return {
    graph: g,
    run(x: tf.Tensor4D): tf.Tensor4D {
      const values = new Map<ValueId, tf.Tensor4D>([[g.input, x]]);
      const left = new Map(count);
      const v = (id: ValueId): tf.Tensor4D => {
        const t = values.get(id);
        if (!t) throw new Error(`graph ${g.name}: value '${id}' is missing`);
        return t;
      };
      const release = (ids: ValueId[]) => {
        for (const id of ids) {
          const n = (left.get(id) ?? 1) - 1;
          left.set(id, n);
          if (n === 0 && id !== g.input) {
            values.get(id)?.dispose();
            values.delete(id);
          }
        }
      };
      for (const s of steps) {
        if (s.kind === 'conv') {
          values.set(s.out, conv(s, v(s.node.input)));
          release([s.node.input]);
        } else {
          values.set(s.node.out, plain(s.node, v, s.slope));
          release(nodeInputs(s.node));
        }
      }
      return v(g.output);
    },
    dispose() {
      for (const t of owned) t.dispose();
      owned.length = 0;
    },
  };
}
