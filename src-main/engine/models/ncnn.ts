// ncnn models (.param text + .bin weights), as Real-ESRGAN's own apps ship them, read into the
// graph IR. The .param file is a layer list ("Type name nIn nOut in... out... k=v..."); the .bin
// holds each layer's weights in layer order: a conv's weights behind a 4-byte tag (fp16 or fp32),
// then fp32 biases; PReLU slopes in fp32. Only the layers image nets of this kind use are read;
// any other layer is refused by name rather than guessed at.
import { StudioError } from '../../contract/errors';
import type { Graph, GraphNode, ValueId } from '../graph/ir';
import { withShapes } from '../graph/shapes';
import { readFloats } from './numbers';

const MAGIC = 7767517;
const TAG_FP16 = 0x01306b47;
const TAG_FP32 = 0x0002c056;

export interface NcnnLayer {
  type: string;
  name: string;
  bottoms: string[];
  tops: string[];
  /** Param id -> value; arrays (ids written as -23300-id) keep their elements. */
  params: Map<number, number | number[]>;
}

function invalid(message: string): StudioError {
  return new StudioError('E_MODEL_INVALID', `not a readable ncnn model: ${message}`);
}

/** The layer list of a text .param file. */
export function parseNcnnParam(text: string): NcnnLayer[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (Number(lines[0]) !== MAGIC) throw invalid('the .param file does not start with 7767517 (a binary .param.bin is not supported)');
  const [layerCount] = (lines[1] ?? '').split(/\s+/).map(Number);
  if (!Number.isInteger(layerCount) || layerCount < 1) throw invalid('bad layer count line');
  const layers: NcnnLayer[] = [];
  for (const line of lines.slice(2)) {
    const f = line.split(/\s+/);
    const nIn = Number(f[2]);
    const nOut = Number(f[3]);
    if (f.length < 4 || !Number.isInteger(nIn) || !Number.isInteger(nOut) || f.length < 4 + nIn + nOut) throw invalid(`bad layer line '${line.slice(0, 80)}'`);
    const params = new Map<number, number | number[]>();
    for (const kv of f.slice(4 + nIn + nOut)) {
      const m = /^(-?\d+)=(.*)$/.exec(kv);
      if (!m) throw invalid(`bad parameter '${kv}' in layer ${f[1]}`);
      const id = Number(m[1]);
      if (id <= -23300) {
        const [count, ...vals] = m[2].split(',').map(Number);
        if (vals.length !== count || vals.some((v) => !Number.isFinite(v))) throw invalid(`bad array parameter '${kv}' in layer ${f[1]}`);
        params.set(-id - 23300, vals);
      } else {
        const v = Number(m[2]);
        if (!Number.isFinite(v)) throw invalid(`bad parameter '${kv}' in layer ${f[1]}`);
        params.set(id, v);
      }
    }
    layers.push({ type: f[0], name: f[1], bottoms: f.slice(4, 4 + nIn), tops: f.slice(4 + nIn, 4 + nIn + nOut), params });
  }
  if (layers.length !== layerCount) throw invalid(`the header says ${layerCount} layers, the file has ${layers.length}`);
  return layers;
}

/** Sequential reader of the .bin weights. */
class WeightReader {
  offset = 0;
  constructor(private readonly bin: Uint8Array) {}

  private floats(count: number, dtype: 'float32' | 'float16'): Float32Array {
    try {
      const v = readFloats(this.bin, this.offset, count, dtype);
      this.offset += Math.ceil((count * (dtype === 'float16' ? 2 : 4)) / 4) * 4;
      return v;
    } catch {
      throw invalid(`the .bin file ends early (needs more than its ${this.bin.byteLength} bytes); do the .param and .bin belong together?`);
    }
  }

  /** A tagged block (conv weights). */
  tagged(count: number, layer: string): Float32Array {
    if (this.offset + 4 > this.bin.byteLength) throw invalid('the .bin file ends early');
    const tag = new DataView(this.bin.buffer, this.bin.byteOffset + this.offset, 4).getUint32(0, true);
    this.offset += 4;
    if (tag === TAG_FP16) return this.floats(count, 'float16');
    if (tag === 0 || tag === TAG_FP32) return this.floats(count, 'float32');
    throw new StudioError('E_MODEL_UNSUPPORTED', `ncnn layer ${layer} stores quantized (int8) weights; use an fp16 or fp32 model`);
  }

  raw(count: number): Float32Array {
    return this.floats(count, 'float32');
  }
}

const num = (l: NcnnLayer, id: number, dflt: number): number => {
  const v = l.params.get(id);
  return typeof v === 'number' ? v : dflt;
};
const arr = (l: NcnnLayer, id: number): number[] => {
  const v = l.params.get(id);
  return Array.isArray(v) ? v : [];
};

function unsupported(l: NcnnLayer, why: string): StudioError {
  return new StudioError('E_MODEL_UNSUPPORTED', `ncnn layer ${l.name} (${l.type}): ${why}`, { layer: l.name, type: l.type });
}

/** The net of a .param text and its .bin weights, as a graph (NCHW, values in [0,1]). */
export function ncnnToGraph(paramText: string, bin: Uint8Array, name: string): Graph {
  const layers = parseNcnnParam(paramText);
  const w = new WeightReader(bin);
  const nodes: GraphNode[] = [];
  const alias = new Map<string, ValueId>(); // Split tops -> the value they copy
  const channels = new Map<ValueId, number>();
  const consumed = new Set<ValueId>();
  let input: ValueId | undefined;
  let inChannels = 3;
  const ref = (blob: string, l: NcnnLayer): ValueId => {
    const id = alias.get(blob) ?? blob;
    if (!channels.has(id)) throw invalid(`layer ${l.name} reads blob '${blob}' that no earlier layer makes`);
    consumed.add(id);
    return id;
  };
  const emit = (n: GraphNode, c: number) => {
    nodes.push(n);
    channels.set(n.out, c);
  };

  for (const l of layers) {
    const one = () => {
      if (l.bottoms.length !== 1 || l.tops.length !== 1) throw invalid(`layer ${l.name} should have one input and one output`);
      return ref(l.bottoms[0], l);
    };
    const top = l.tops[0];
    switch (l.type) {
      case 'Input': {
        if (input) throw unsupported(l, 'a second input');
        input = top;
        const c = num(l, 2, 3);
        inChannels = c > 0 ? c : 3;
        channels.set(top, inChannels);
        break;
      }
      case 'Split':
      case 'Noop': {
        const src = ref(l.bottoms[0], l);
        for (const t of l.tops) alias.set(t, src);
        break;
      }
      case 'Convolution':
      case 'ConvolutionDepthWise': {
        const x = one();
        const outC = num(l, 0, 0);
        const kw = num(l, 1, 0);
        const kh = num(l, 11, kw);
        const dil = [num(l, 2, 1), num(l, 12, num(l, 2, 1))];
        const sw = num(l, 3, 1);
        const sh = num(l, 13, sw);
        const pl = num(l, 4, 0);
        const pads = [pl, num(l, 14, pl), num(l, 15, pl), num(l, 16, num(l, 14, pl))];
        const size = num(l, 6, 0);
        const groups = l.type === 'ConvolutionDepthWise' ? num(l, 7, 1) : 1;
        if (dil[0] !== 1 || dil[1] !== 1) throw unsupported(l, 'dilated convolution');
        if (sw !== sh) throw unsupported(l, 'different strides across and down');
        if (num(l, 8, 0) !== 0) throw unsupported(l, 'int8 quantized convolution');
        const pad = pads[0] === -233 || pads[0] === -234 ? kh >> 1 : pads[0];
        if (pads.some((p) => p !== pads[0]) || (pads[0] < 0 && (kh !== kw || kh % 2 === 0))) throw unsupported(l, 'asymmetric padding');
        const inPerGroup = outC > 0 && kw > 0 && kh > 0 ? size / (outC * kh * kw) : NaN;
        if (!Number.isInteger(inPerGroup) || inPerGroup < 1) throw invalid(`layer ${l.name}: weight size ${size} does not fit ${outC} outputs of ${kh}x${kw}`);
        const weight = w.tagged(size, l.name);
        const bias = num(l, 5, 0) ? w.raw(outC) : undefined;
        const act = num(l, 9, 0);
        const convOut = act ? `${top}#conv` : top;
        emit({ op: 'conv', out: convOut, input: x, weight, weightShape: [outC, inPerGroup, kh, kw], ...(bias ? { bias } : {}), pad, ...(sw !== 1 ? { stride: sw } : {}), ...(groups !== 1 ? { groups } : {}) }, outC);
        const ap = arr(l, 10);
        if (act === 1) emit({ op: 'relu', out: top, input: convOut }, outC);
        else if (act === 2) emit({ op: 'leakyRelu', out: top, input: convOut, alpha: ap[0] ?? 0 }, outC);
        else if (act === 3) emit({ op: 'clip', out: top, input: convOut, min: ap[0] ?? 0, max: ap[1] ?? 0 }, outC);
        else if (act === 4) emit({ op: 'sigmoid', out: top, input: convOut }, outC);
        else if (act !== 0) throw unsupported(l, `activation type ${act}`);
        break;
      }
      case 'PReLU': {
        const x = one();
        const c = channels.get(x)!;
        const n = num(l, 0, 0);
        const s = w.raw(n);
        const slope = n === 1 ? new Float32Array(c).fill(s[0]) : s;
        if (slope.length !== c) throw invalid(`layer ${l.name}: ${n} slopes for ${c} channels`);
        emit({ op: 'prelu', out: top, input: x, slope }, c);
        break;
      }
      case 'ReLU': {
        const x = one();
        const slope = num(l, 0, 0);
        emit(slope ? { op: 'leakyRelu', out: top, input: x, alpha: slope } : { op: 'relu', out: top, input: x }, channels.get(x)!);
        break;
      }
      case 'Sigmoid':
      case 'TanH': {
        const x = one();
        emit({ op: l.type === 'Sigmoid' ? 'sigmoid' : 'tanh', out: top, input: x }, channels.get(x)!);
        break;
      }
      case 'Clip': {
        const x = one();
        emit({ op: 'clip', out: top, input: x, min: num(l, 0, -Infinity), max: num(l, 1, Infinity) }, channels.get(x)!);
        break;
      }
      case 'Concat': {
        if (num(l, 0, 0) !== 0) throw unsupported(l, 'concatenation along an axis other than channels');
        const ins = l.bottoms.map((b) => ref(b, l));
        emit({ op: 'concat', out: top, inputs: ins }, ins.reduce((c, i) => c + channels.get(i)!, 0));
        break;
      }
      case 'Eltwise':
      case 'BinaryOp': {
        const ins = l.bottoms.map((b) => ref(b, l));
        const c = channels.get(ins[0])!;
        if (l.type === 'BinaryOp') {
          const op = num(l, 0, 0);
          if (num(l, 1, 0)) {
            if (op !== 2) throw unsupported(l, `scalar operation ${op}`);
            emit({ op: 'scale', out: top, input: ins[0], factor: num(l, 2, 0) }, c);
            break;
          }
          if (op !== 0 || ins.length !== 2) throw unsupported(l, `operation ${op} of two blobs (only addition is read)`);
          emit({ op: 'add', out: top, inputs: [ins[0], ins[1]] }, c);
          break;
        }
        if (num(l, 0, 1) !== 1) throw unsupported(l, 'element-wise product or maximum');
        const coeffs = arr(l, 1);
        const terms = ins.map((id, k) => {
          const f = coeffs[k] ?? 1;
          if (f === 1) return id;
          emit({ op: 'scale', out: `${top}#${k}`, input: id, factor: f }, c);
          return `${top}#${k}`;
        });
        let acc = terms[0];
        for (let k = 1; k < terms.length; k++) {
          const out = k === terms.length - 1 ? top : `${top}#sum${k}`;
          emit({ op: 'add', out, inputs: [acc, terms[k]] }, c);
          acc = out;
        }
        if (terms.length < 2) throw invalid(`layer ${l.name} adds fewer than two blobs`);
        break;
      }
      case 'Interp': {
        const x = one();
        const hs = num(l, 1, 1);
        const ws = num(l, 2, 1);
        if (num(l, 0, 0) !== 1) throw unsupported(l, 'interpolation other than nearest neighbour');
        if (hs !== ws || !Number.isInteger(hs) || hs < 1 || num(l, 3, 0) || num(l, 4, 0)) throw unsupported(l, 'resize to a fixed size or by a fractional factor');
        emit({ op: 'upsampleNearest', out: top, input: x, factor: hs }, channels.get(x)!);
        break;
      }
      case 'PixelShuffle': {
        const x = one();
        const r = num(l, 0, 1);
        emit({ op: 'pixelShuffle', out: top, input: x, factor: r, mode: num(l, 1, 0) === 1 ? 'DCR' : 'CRD' }, channels.get(x)! / (r * r));
        break;
      }
      default:
        throw unsupported(l, 'this layer type is not supported');
    }
  }
  if (!input) throw invalid('no Input layer');
  if (w.offset !== bin.byteLength) throw invalid(`the .bin file has ${bin.byteLength - w.offset} bytes more than the .param file reads; do they belong together?`);
  const made = nodes.map((n) => n.out).filter((id) => !consumed.has(id));
  const output = made.includes('output') ? 'output' : made[made.length - 1];
  if (!output) throw invalid('the net makes no output');
  const g: Graph = { name, input, inChannels, nodes, output, outChannels: channels.get(output)!, scale: 1, range: 1 };
  return withShapes(g);
}
