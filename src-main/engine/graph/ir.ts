// A small, runtime-neutral description of a feed-forward image net: the one form every net the
// studio runs is turned into (Real-ESRGAN from ncnn files, imported .pth/.safetensors/.onnx,
// the ESRGAN packages, ZSSR's net, user-trained models), and that each runtime executes
// (ONNX Runtime on CPU/GPU, tfjs on its backends). Semantics follow ONNX/PyTorch: tensors are
// NCHW, weights OIHW, one image in ([1,3,h,w], values in [0, range]) and one image out.

/** A value made by an earlier node (or the input). */
export type ValueId = string;

export interface ConvNode {
  op: 'conv';
  out: ValueId;
  input: ValueId;
  /** OIHW, row-major: [outChannels, inChannels / groups, kh, kw]. */
  weight: Float32Array;
  weightShape: [number, number, number, number];
  bias?: Float32Array;
  /** Symmetric zero padding in pixels (kh >> 1 for a "same" conv with stride 1). */
  pad: number;
  stride?: number;
  groups?: number;
}

export type PointwiseNode =
  | { op: 'relu'; out: ValueId; input: ValueId }
  | { op: 'leakyRelu'; out: ValueId; input: ValueId; alpha: number }
  /** Per-channel slopes (length = channels), PyTorch nn.PReLU(num_parameters=C). */
  | { op: 'prelu'; out: ValueId; input: ValueId; slope: Float32Array }
  | { op: 'sigmoid'; out: ValueId; input: ValueId }
  | { op: 'tanh'; out: ValueId; input: ValueId }
  /** input * factor (residual scaling, e.g. RRDB's 0.2). */
  | { op: 'scale'; out: ValueId; input: ValueId; factor: number }
  /** Clamp to [min, max]. */
  | { op: 'clip'; out: ValueId; input: ValueId; min: number; max: number };

export type StructuralNode =
  | { op: 'add'; out: ValueId; inputs: [ValueId, ValueId] }
  /** Channel concatenation, in the order given. */
  | { op: 'concat'; out: ValueId; inputs: ValueId[] }
  /**
   * Depth-to-space by `factor`. 'CRD' is PyTorch's pixel_shuffle (channel c*r*r + i*r + j);
   * 'DCR' is TensorFlow's depth_to_space (channel (i*r + j)*C + c).
   */
  | { op: 'pixelShuffle'; out: ValueId; input: ValueId; factor: number; mode: 'CRD' | 'DCR' }
  /** Space-to-depth in PyTorch's pixel_unshuffle order (input of Real-ESRGAN x1/x2 RRDB nets). */
  | { op: 'pixelUnshuffle'; out: ValueId; input: ValueId; factor: number }
  /** Nearest-neighbour upsampling by an integer factor. */
  | { op: 'upsampleNearest'; out: ValueId; input: ValueId; factor: number }
  /**
   * Bilinear upsampling by an integer factor with half-pixel centres and clamped edges (PyTorch
   * interpolate(align_corners=False), TF resizeBilinear(halfPixelCenters=true), ONNX Resize
   * linear/half_pixel).
   */
  | { op: 'upsampleBilinear'; out: ValueId; input: ValueId; factor: number };

export type GraphNode = ConvNode | PointwiseNode | StructuralNode;

export interface Graph {
  /** Short name for logs and for the exported ONNX model. */
  name: string;
  /** The id of the image input: [1, inChannels, h, w]. */
  input: ValueId;
  inChannels: number;
  /** Nodes in execution order; each `out` is assigned exactly once. */
  nodes: GraphNode[];
  /** The id of the image output: [1, outChannels, h*scale, w*scale]. */
  output: ValueId;
  outChannels: number;
  /** Output size / input size. */
  scale: number;
  /** Pixel value range of input and output (1 or 255). */
  range: number;
  /**
   * Input side must be a multiple of this (pixel-unshuffle nets); runtimes pad by reflection
   * and crop. Default 1.
   */
  sizeMultiple?: number;
}

/** The inputs a node reads. */
export function nodeInputs(n: GraphNode): ValueId[] {
  return 'inputs' in n ? n.inputs : [n.input];
}

/** Parameters in the graph (conv weights and biases, PReLU slopes). */
export function paramCount(g: Graph): number {
  let n = 0;
  for (const node of g.nodes) {
    if (node.op === 'conv') n += node.weight.length + (node.bias?.length ?? 0);
    else if (node.op === 'prelu') n += node.slope.length;
  }
  return n;
}

/** Throws if an id is read before it is made, made twice, or the output is never made. */
export function checkGraph(g: Graph): void {
  const made = new Set<ValueId>([g.input]);
  for (const node of g.nodes) {
    for (const i of nodeInputs(node)) if (!made.has(i)) throw new Error(`graph ${g.name}: '${node.out}' reads '${i}' before it is made`);
    if (made.has(node.out)) throw new Error(`graph ${g.name}: '${node.out}' is made twice`);
    if (node.op === 'conv') {
      const [o, i, kh, kw] = node.weightShape;
      if (node.weight.length !== o * i * kh * kw) throw new Error(`graph ${g.name}: conv '${node.out}' weight length does not match its shape`);
      if (node.bias && node.bias.length !== o) throw new Error(`graph ${g.name}: conv '${node.out}' bias length ${node.bias.length} != ${o}`);
    }
    made.add(node.out);
  }
  if (!made.has(g.output)) throw new Error(`graph ${g.name}: output '${g.output}' is never made`);
}
