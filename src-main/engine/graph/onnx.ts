// Graph -> ONNX model bytes, in-process, for ONNX Runtime. The messages are encoded by protobufjs
// (a maintained protobuf library) from the part of ONNX's own schema (onnx/onnx.proto, proto2)
// that an image net needs; field numbers are the schema's.
import protobuf from 'protobufjs';
import { checkGraph, type Graph, type GraphNode } from './ir';

const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
}
message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
  optional int32 type = 20;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string domain = 7;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
`;

/** ONNX IR version 8 and opset 17: read by every ONNX Runtime since 1.13. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

let modelType: protobuf.Type | undefined;
function model(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_SUBSET, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

interface Attr {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
}
interface OnnxNode {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Attr[];
}
interface Initializer {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

const ints = (name: string, v: number[]): Attr => ({ name, type: ATTR.INTS, ints: v });
const int = (name: string, v: number): Attr => ({ name, type: ATTR.INT, i: v });
const float = (name: string, v: number): Attr => ({ name, type: ATTR.FLOAT, f: v });
const str = (name: string, v: string): Attr => ({ name, type: ATTR.STRING, s: new TextEncoder().encode(v) });

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  // Little-endian on every platform ONNX Runtime ships for, as ONNX's raw_data requires.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Builds the node and initializer lists; every name is the graph's value id or derived from it. */
class Builder {
  constructor(private readonly channels: Map<string, number>) {}
  readonly nodes: OnnxNode[] = [];
  readonly inits: Initializer[] = [];
  private n = 0;

  floats(name: string, dims: number[], data: Float32Array): string {
    this.inits.push({ name, dims, data_type: FLOAT, raw_data: bytesOf(data) });
    return name;
  }
  int64s(name: string, data: number[]): string {
    this.inits.push({ name, dims: [data.length], data_type: INT64, raw_data: bytesOf(BigInt64Array.from(data.map(BigInt))) });
    return name;
  }
  node(op_type: string, input: string[], output: string, attribute: Attr[] = []): void {
    this.nodes.push({ op_type, name: `${op_type}_${this.n++}`, input, output: [output], attribute });
  }

  add(g: GraphNode): void {
    const o = g.out;
    switch (g.op) {
      case 'conv': {
        const [co, ci, kh, kw] = g.weightShape;
        const ins = [g.input, this.floats(`${o}.weight`, [co, ci, kh, kw], g.weight)];
        if (g.bias) ins.push(this.floats(`${o}.bias`, [co], g.bias));
        const s = g.stride ?? 1;
        this.node('Conv', ins, o, [ints('kernel_shape', [kh, kw]), ints('pads', [g.pad, g.pad, g.pad, g.pad]), ints('strides', [s, s]), int('group', g.groups ?? 1)]);
        return;
      }
      case 'relu':
        return this.node('Relu', [g.input], o);
      case 'leakyRelu':
        return this.node('LeakyRelu', [g.input], o, [float('alpha', g.alpha)]);
      case 'prelu':
        return this.node('PRelu', [g.input, this.floats(`${o}.slope`, [g.slope.length, 1, 1], g.slope)], o);
      case 'sigmoid':
        return this.node('Sigmoid', [g.input], o);
      case 'tanh':
        return this.node('Tanh', [g.input], o);
      case 'scale':
        return this.node('Mul', [g.input, this.floats(`${o}.factor`, [], Float32Array.of(g.factor))], o);
      case 'clip':
        return this.node('Clip', [g.input, this.floats(`${o}.min`, [], Float32Array.of(g.min)), this.floats(`${o}.max`, [], Float32Array.of(g.max))], o);
      case 'add':
        return this.node('Add', [...g.inputs], o);
      case 'concat':
        return this.node('Concat', [...g.inputs], o, [int('axis', 1)]);
      case 'pixelShuffle':
        return this.node('DepthToSpace', [g.input], o, [int('blocksize', g.factor), str('mode', g.mode)]);
      case 'pixelUnshuffle': {
        // ONNX's SpaceToDepth orders channels (i*r + j)*C + c; PyTorch's pixel_unshuffle orders
        // them c*r*r + i*r + j: a Gather over channels reorders one into the other.
        const r = g.factor;
        const c = this.channels.get(g.input) ?? 0;
        const perm: number[] = [];
        for (let k = 0; k < c * r * r; k++) perm.push((k % (r * r)) * c + Math.floor(k / (r * r)));
        this.node('SpaceToDepth', [g.input], `${o}.dcr`, [int('blocksize', r)]);
        return this.node('Gather', [`${o}.dcr`, this.int64s(`${o}.perm`, perm)], o, [int('axis', 1)]);
      }
      case 'upsampleNearest': {
        const f = g.factor;
        const scales = this.floats(`${o}.scales`, [4], Float32Array.of(1, 1, f, f));
        return this.node('Resize', [g.input, '', scales], o, [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]);
      }
      case 'upsampleBilinear': {
        const f = g.factor;
        const scales = this.floats(`${o}.scales`, [4], Float32Array.of(1, 1, f, f));
        return this.node('Resize', [g.input, '', scales], o, [str('mode', 'linear'), str('coordinate_transformation_mode', 'half_pixel')]);
      }
    }
  }
}

function imageValue(name: string, channels: number, h: string, w: string) {
  return {
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_value: 1 }, { dim_value: channels }, { dim_param: h }, { dim_param: w }] } } },
  };
}

/** The serialized ONNX model of a graph: input 'input' [1,C,h,w], output 'output' [1,C',H,W]. */
export function graphToOnnx(g: Graph): Uint8Array {
  checkGraph(g);
  // The graph's own ids become ONNX names; the input and output get fixed names.
  const rename = new Map<string, string>([
    [g.input, 'input'],
    [g.output, 'output'],
  ]);
  const id = (v: string) => rename.get(v) ?? `v.${v}`;
  // Channel counts are keyed by the renamed ids the builder sees.
  const ch = new Map([...channelsOf(g)].map(([k, v]) => [id(k), v]));
  const b = new Builder(ch);
  for (const node of g.nodes) b.add(renameNode(node, id));
  const message = {
    ir_version: ONNX_IR_VERSION,
    producer_name: 'loupe-studio',
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: g.name,
      node: b.nodes,
      initializer: b.inits,
      input: [imageValue('input', g.inChannels, 'h', 'w')],
      output: [imageValue('output', g.outChannels, 'H', 'W')],
    },
  };
  // Plain objects encode as they are (no fromObject copy of the weight bytes).
  return model().encode(message).finish();
}

/** Channel count of every value (for ops whose ONNX form needs it). */
export function channelsOf(g: Graph): Map<string, number> {
  const c = new Map<string, number>([[g.input, g.inChannels]]);
  const of = (v: string) => c.get(v) ?? 0;
  for (const n of g.nodes) {
    switch (n.op) {
      case 'conv':
        c.set(n.out, n.weightShape[0]);
        break;
      case 'concat':
        c.set(n.out, n.inputs.reduce((s, v) => s + of(v), 0));
        break;
      case 'add':
        c.set(n.out, of(n.inputs[0]));
        break;
      case 'pixelShuffle':
        c.set(n.out, of(n.input) / (n.factor * n.factor));
        break;
      case 'pixelUnshuffle':
        c.set(n.out, of(n.input) * n.factor * n.factor);
        break;
      default:
        c.set(n.out, of(n.input));
    }
  }
  return c;
}

function renameNode(n: GraphNode, id: (v: string) => string): GraphNode {
  if ('inputs' in n) return { ...n, out: id(n.out), inputs: n.inputs.map(id) } as GraphNode;
  return { ...n, out: id(n.out), input: id(n.input) } as GraphNode;
}
