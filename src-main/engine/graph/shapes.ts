// Static shape check of a Graph: channels and spatial factor of every value, so a net read from
// a file people bring is refused with a clear message before any weight reaches a runtime.
import { StudioError } from '../../contract/errors';
import { nodeInputs, type Graph, type ValueId } from './ir';

export interface ValueShape {
  channels: number;
  /** Spatial size relative to the graph input (2 = twice as wide and high). */
  factor: number;
}

/** Shapes of every value; throws an Error naming the first node that does not fit. */
export function inferShapes(g: Graph): Map<ValueId, ValueShape> {
  const shapes = valueShapes(g);
  const o = shapes.get(g.output);
  if (!o) throw new Error(`the output '${g.output}' is never made`);
  if (o.channels !== g.outChannels) throw new Error(`the output has ${o.channels} channels, the graph says ${g.outChannels}`);
  if (Math.abs(o.factor - g.scale) > 1e-9) throw new Error(`the output is x${o.factor} of the input, the graph says x${g.scale}`);
  return shapes;
}

/** inferShapes without checking the graph's declared output channels and scale. */
export function valueShapes(g: Graph): Map<ValueId, ValueShape> {
  const shapes = new Map<ValueId, ValueShape>([[g.input, { channels: g.inChannels, factor: 1 }]]);
  const get = (id: ValueId, at: string): ValueShape => {
    const s = shapes.get(id);
    if (!s) throw new Error(`'${at}' reads '${id}' before it is made`);
    return s;
  };
  for (const n of g.nodes) {
    const ins = nodeInputs(n).map((i) => get(i, n.out));
    const a = ins[0];
    let out: ValueShape;
    switch (n.op) {
      case 'conv': {
        const [o, i] = n.weightShape;
        const groups = n.groups ?? 1;
        if (a.channels !== i * groups) throw new Error(`conv '${n.out}' expects ${i * groups} input channels, gets ${a.channels}`);
        if (o % groups !== 0) throw new Error(`conv '${n.out}': ${o} outputs do not split into ${groups} groups`);
        out = { channels: o, factor: a.factor / (n.stride ?? 1) };
        break;
      }
      case 'prelu':
        if (n.slope.length !== a.channels && n.slope.length !== 1) throw new Error(`prelu '${n.out}' has ${n.slope.length} slopes for ${a.channels} channels`);
        out = a;
        break;
      case 'add':
        if (ins[1].channels !== a.channels || ins[1].factor !== a.factor) {
          throw new Error(`add '${n.out}' joins ${a.channels} channels at x${a.factor} with ${ins[1].channels} at x${ins[1].factor}`);
        }
        out = a;
        break;
      case 'concat':
        if (ins.some((s) => s.factor !== a.factor)) throw new Error(`concat '${n.out}' joins values of different sizes`);
        out = { channels: ins.reduce((c, s) => c + s.channels, 0), factor: a.factor };
        break;
      case 'pixelShuffle':
        if (a.channels % (n.factor * n.factor) !== 0) throw new Error(`pixel shuffle '${n.out}': ${a.channels} channels do not divide by ${n.factor}²`);
        out = { channels: a.channels / (n.factor * n.factor), factor: a.factor * n.factor };
        break;
      case 'pixelUnshuffle':
        out = { channels: a.channels * n.factor * n.factor, factor: a.factor / n.factor };
        break;
      case 'upsampleNearest':
      case 'upsampleBilinear':
        out = { channels: a.channels, factor: a.factor * n.factor };
        break;
      default:
        out = a; // pointwise
    }
    if (shapes.has(n.out)) throw new Error(`'${n.out}' is made twice`);
    shapes.set(n.out, out);
  }
  return shapes;
}

/**
 * Peak bytes of float32 activations alive at once, per input pixel (values are freed after their
 * last reader), times `slack` for the runtime's own buffers. Sets the tile size.
 */
export function peakActivationBytes(g: Graph, slack = 1.5): number {
  const shapes = inferShapes(g);
  const last = new Map<ValueId, number>();
  g.nodes.forEach((n, k) => nodeInputs(n).forEach((i) => last.set(i, k)));
  const size = (id: ValueId) => {
    const s = shapes.get(id)!;
    return s.channels * s.factor * s.factor * 4;
  };
  let live = size(g.input);
  let peak = live;
  g.nodes.forEach((n, k) => {
    live += size(n.out);
    peak = Math.max(peak, live);
    for (const i of new Set(nodeInputs(n))) if (last.get(i) === k && i !== g.input) live -= size(i);
  });
  return Math.ceil(peak * slack);
}

/**
 * Fills in scale, output channels and the input size multiple from the shapes, and checks that
 * every node fits its inputs (E_MODEL_INVALID otherwise).
 */
export function withShapes(g: Graph): Graph {
  try {
    const shapes = valueShapes(g);
    const o = shapes.get(g.output);
    if (!o) throw new Error(`the output '${g.output}' is never made`);
    const smallest = Math.min(...[...shapes.values()].map((s) => s.factor));
    const multiple = smallest < 1 ? Math.round(1 / smallest) : 1;
    const out: Graph = { ...g, scale: o.factor, outChannels: o.channels, ...(multiple > 1 ? { sizeMultiple: multiple } : {}) };
    inferShapes(out);
    return out;
  } catch (err) {
    throw new StudioError('E_MODEL_INVALID', `the net does not fit together: ${(err as Error).message}`);
  }
}
