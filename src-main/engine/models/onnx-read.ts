// ONNX models (.onnx) of single-image nets read into the graph IR: the ops PyTorch exports for
// ESRGAN-family nets (Conv, PRelu / Relu / LeakyRelu, Add, Mul by a constant, Concat,
// DepthToSpace, nearest Resize / Upsample, Clip, Sigmoid, Tanh, Identity, Constant). Any other op
// is refused by name.
import { StudioError } from '../../contract/errors';
import type { Graph, GraphNode, ValueId } from '../graph/ir';
import { withShapes } from '../graph/shapes';
import { readFloats, type StoredDtype } from './numbers';
import { fields, floats, ints, str, type Field } from './protobuf';

interface Const {
  dims: number[];
  data: Float32Array;
}

const DTYPES: Record<number, StoredDtype> = { 1: 'float32', 10: 'float16', 16: 'bfloat16', 11: 'float64' };

function invalid(m: string): StudioError {
  return new StudioError('E_MODEL_INVALID', `not a readable ONNX model: ${m}`);
}

function tensor(buf: Uint8Array): { name: string; value: Const } {
  const fs = fields(buf);
  const dims = ints(fs, 1);
  const type = fs.find((f) => f.no === 2)?.num ?? 0;
  const name = str(fs.find((f) => f.no === 8) ?? ({ bytes: new Uint8Array(0) } as Field));
  const count = dims.reduce((a, b) => a * b, 1);
  if (fs.some((f) => f.no === 13)) throw new StudioError('E_MODEL_UNSUPPORTED', `ONNX tensor ${name} keeps its data in an external file; save the model with the weights inside`);
  const raw = fs.find((f) => f.no === 9);
  let data: Float32Array;
  if (type === 7 || type === 6) {
    // int64 / int32 constants (shapes, axes): as floats, they are small integers.
    const vals = raw ? Array.from({ length: count }, (_, i) => Number(new DataView(raw.bytes.buffer, raw.bytes.byteOffset).getBigInt64(i * 8, true))) : ints(fs, type === 7 ? 7 : 5);
    data = Float32Array.from(type === 6 && raw ? Array.from({ length: count }, (_, i) => new DataView(raw.bytes.buffer, raw.bytes.byteOffset).getInt32(i * 4, true)) : vals);
  } else {
    const dt = DTYPES[type];
    if (!dt) throw new StudioError('E_MODEL_UNSUPPORTED', `ONNX tensor ${name} has data type ${type}`);
    if (raw) {
      try {
        data = readFloats(raw.bytes, 0, count, dt);
      } catch {
        throw invalid(`tensor ${name} is shorter than its shape (truncated?)`);
      }
    } else data = Float32Array.from(floats(fs, 4));
    if (data.length !== count) throw invalid(`tensor ${name} has ${data.length} values for shape [${dims.join(', ')}]`);
  }
  return { name, value: { dims, data } };
}

interface Node {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Field[]>;
}

function node(buf: Uint8Array): Node {
  const fs = fields(buf);
  const attrs = new Map<string, Field[]>();
  for (const f of fs.filter((x) => x.no === 5)) {
    const a = fields(f.bytes);
    const n = a.find((x) => x.no === 1);
    if (n) attrs.set(str(n), a);
  }
  return {
    op: str(fs.find((f) => f.no === 4) ?? invalidField()),
    name: str(fs.find((f) => f.no === 3) ?? ({ bytes: new Uint8Array(0) } as Field)),
    inputs: fs.filter((f) => f.no === 1).map(str),
    outputs: fs.filter((f) => f.no === 2).map(str),
    attrs,
  };
}

function invalidField(): never {
  throw invalid('a node without an op type');
}

const attrInt = (n: Node, k: string, d: number) => n.attrs.get(k)?.find((f) => f.no === 3)?.num ?? d;
const attrFloat = (n: Node, k: string, d: number) => n.attrs.get(k)?.find((f) => f.no === 2)?.num ?? d;
const attrInts = (n: Node, k: string) => (n.attrs.has(k) ? ints(n.attrs.get(k)!, 8) : undefined);
const attrStr = (n: Node, k: string, d: string) => {
  const f = n.attrs.get(k)?.find((x) => x.no === 4);
  return f ? str(f) : d;
};

/** The net of an .onnx file's bytes as a graph (NCHW, values in [0,1]). */
export function onnxToGraph(bytes: Uint8Array, name: string): Graph {
  const model = fields(bytes);
  const g = model.find((f) => f.no === 7 && f.wire === 2);
  if (!g || !model.some((f) => f.no === 1 && f.wire === 0)) throw invalid('no graph (is this an ONNX file?)');
  const gf = fields(g.bytes);
  const consts = new Map<string, Const>();
  for (const f of gf.filter((x) => x.no === 5)) {
    const t = tensor(f.bytes);
    consts.set(t.name, t.value);
  }
  const inputs = gf.filter((f) => f.no === 11).map((f) => str(fields(f.bytes).find((x) => x.no === 1)!)).filter((n) => !consts.has(n));
  const outputs = gf.filter((f) => f.no === 12).map((f) => str(fields(f.bytes).find((x) => x.no === 1)!));
  if (inputs.length !== 1 || outputs.length !== 1) throw new StudioError('E_MODEL_UNSUPPORTED', `the ONNX model has ${inputs.length} inputs and ${outputs.length} outputs; an image net has one of each`);
  const nodes: GraphNode[] = [];
  const alias = new Map<string, ValueId>();
  const made = new Set<ValueId>([inputs[0]]);
  const v = (id: string, n: Node): ValueId => {
    const r = alias.get(id) ?? id;
    if (!made.has(r)) throw new StudioError('E_MODEL_UNSUPPORTED', `ONNX node ${n.name || n.op} reads '${id}', which is not an image value (a computed shape?)`);
    return r;
  };
  const c = (id: string | undefined): Const | undefined => (id ? consts.get(id) : undefined);
  const emit = (x: GraphNode) => {
    nodes.push(x);
    made.add(x.out);
  };
  const no = (n: Node, why: string) => new StudioError('E_MODEL_UNSUPPORTED', `ONNX node ${n.name || n.op} (${n.op}): ${why}`, { op: n.op });

  for (const f of gf.filter((x) => x.no === 1)) {
    const n = node(f.bytes);
    const out = n.outputs[0];
    switch (n.op) {
      case 'Constant': {
        const t = n.attrs.get('value')?.find((x) => x.no === 5);
        if (!t) throw no(n, 'a constant other than a tensor');
        consts.set(out, tensor(t.bytes).value);
        break;
      }
      case 'Identity':
        if (consts.has(n.inputs[0])) consts.set(out, consts.get(n.inputs[0])!);
        else alias.set(out, v(n.inputs[0], n));
        break;
      case 'Conv': {
        const w = c(n.inputs[1]);
        const b = c(n.inputs[2]);
        if (!w || w.dims.length !== 4) throw no(n, 'the weight is not a constant 4-d tensor');
        const [o, , kh, kw] = w.dims;
        const pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
        const strides = attrInts(n, 'strides') ?? [1, 1];
        const autoPad = attrStr(n, 'auto_pad', 'NOTSET');
        if ((attrInts(n, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw no(n, 'dilated convolution');
        if (strides[0] !== strides[1]) throw no(n, 'different strides across and down');
        let pad = pads[0];
        if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
          if (kh !== kw || kh % 2 === 0 || strides[0] !== 1) throw no(n, 'SAME padding of an even kernel');
          pad = kh >> 1;
        } else if (pads.some((p) => p !== pad)) throw no(n, 'asymmetric padding');
        const groups = attrInt(n, 'group', 1);
        emit({ op: 'conv', out, input: v(n.inputs[0], n), weight: w.data, weightShape: [o, w.dims[1], kh, kw], ...(b ? { bias: b.data } : {}), pad, ...(strides[0] !== 1 ? { stride: strides[0] } : {}), ...(groups !== 1 ? { groups } : {}) });
        break;
      }
      case 'PRelu': {
        const s = c(n.inputs[1]);
        if (!s) throw no(n, 'the slope is not a constant');
        emit({ op: 'prelu', out, input: v(n.inputs[0], n), slope: s.data });
        break;
      }
      case 'Relu':
        emit({ op: 'relu', out, input: v(n.inputs[0], n) });
        break;
      case 'LeakyRelu':
        emit({ op: 'leakyRelu', out, input: v(n.inputs[0], n), alpha: attrFloat(n, 'alpha', 0.01) });
        break;
      case 'Sigmoid':
      case 'Tanh':
        emit({ op: n.op === 'Sigmoid' ? 'sigmoid' : 'tanh', out, input: v(n.inputs[0], n) });
        break;
      case 'Clip': {
        const lo = c(n.inputs[1])?.data[0] ?? attrFloat(n, 'min', -Infinity);
        const hi = c(n.inputs[2])?.data[0] ?? attrFloat(n, 'max', Infinity);
        emit({ op: 'clip', out, input: v(n.inputs[0], n), min: lo, max: hi });
        break;
      }
      case 'Add':
      case 'Mul':
      case 'Div': {
        const k = n.inputs.map((i) => c(i));
        if (!k[0] && !k[1] && n.op === 'Add') {
          emit({ op: 'add', out, inputs: [v(n.inputs[0], n), v(n.inputs[1], n)] });
          break;
        }
        const ci = k[1] ? 1 : 0;
        const kc = k[ci];
        if (!kc || kc.data.length !== 1 || n.op === 'Add' || (n.op === 'Div' && ci === 0)) throw no(n, 'only image + image, and image times or divided by one number, are read');
        emit({ op: 'scale', out, input: v(n.inputs[1 - ci], n), factor: n.op === 'Div' ? 1 / kc.data[0] : kc.data[0] });
        break;
      }
      case 'Concat':
        if (attrInt(n, 'axis', 1) !== 1) throw no(n, 'concatenation along an axis other than channels');
        emit({ op: 'concat', out, inputs: n.inputs.map((i) => v(i, n)) });
        break;
      case 'DepthToSpace':
        emit({ op: 'pixelShuffle', out, input: v(n.inputs[0], n), factor: attrInt(n, 'blocksize', 0), mode: attrStr(n, 'mode', 'DCR') === 'CRD' ? 'CRD' : 'DCR' });
        break;
      case 'Resize':
      case 'Upsample': {
        const mode = attrStr(n, 'mode', 'nearest');
        const scales = c(n.op === 'Upsample' ? n.inputs[1] : n.inputs[2]);
        if (mode !== 'nearest') throw no(n, `${mode} resizing (only nearest neighbour is read)`);
        const s = scales?.data;
        if (!s || s.length !== 4 || s[0] !== 1 || s[1] !== 1 || s[2] !== s[3] || !Number.isInteger(s[2]) || s[2] < 1) throw no(n, 'a resize that is not by one integer factor given as constant scales');
        emit({ op: 'upsampleNearest', out, input: v(n.inputs[0], n), factor: s[2] });
        break;
      }
      default:
        throw no(n, 'this operator is not supported');
    }
  }
  const output = alias.get(outputs[0]) ?? outputs[0];
  if (!made.has(output)) throw invalid('the output is never computed');
  return withShapes({ name, input: inputs[0], inChannels: 3, nodes, output, outChannels: 3, scale: 1, range: 1 });
}
