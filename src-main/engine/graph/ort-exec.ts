// Runs a Graph on ONNX Runtime (onnxruntime-node): the CPU provider on all cores, WebGPU on any
// GPU (Dawn: Vulkan, Metal, D3D12), DirectML on Windows and CoreML on macOS. The package is
// loaded on first use so a machine where its binary cannot load still runs everything else.
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { StudioError } from '../../contract/errors';
import type { Graph } from './ir';
import { graphToOnnx } from './onnx';
import { PromiseLru } from '../lru';

export type OrtProvider = 'cpu' | 'webgpu' | 'dml' | 'coreml';

type OrtModule = typeof Ort;
let loading: Promise<OrtModule> | undefined;

/** onnxruntime-node, or a coded error saying why it cannot load here. */
export function loadOrt(): Promise<OrtModule> {
  loading ??= import('onnxruntime-node')
    .then((m) => ((m as { default?: OrtModule }).default ?? m) as OrtModule)
    .then((m) => {
      // Errors only: the WebGPU provider otherwise logs adapter limits on every session.
      m.env.logLevel = 'error';
      return m;
    })
    .catch((err: unknown) => {
      throw new StudioError('E_BACKEND_UNAVAILABLE', `onnxruntime-node cannot load: ${(err as Error).message.split('\n')[0]}`);
    });
  return loading;
}

/** Why a provider cannot run on this platform, or undefined if the package ships it here. */
export async function providerUnavailable(p: OrtProvider): Promise<string | undefined> {
  let ort: OrtModule;
  try {
    ort = await loadOrt();
  } catch (err) {
    return (err as Error).message;
  }
  const shipped = ort.listSupportedBackends().map((b) => b.name);
  if (shipped.includes(p)) return undefined;
  const where: Record<OrtProvider, string> = { cpu: 'every platform', webgpu: 'Windows, macOS and Linux x64', dml: 'Windows', coreml: 'macOS' };
  return `onnxruntime-node ${ort.env.versions.common} has no ${p} provider on ${process.platform}/${process.arch} (it ships on ${where[p]})`;
}

/** Threads of the CPU provider: every core (ONNX Runtime's own default counts physical ones). */
export function cpuThreads(): number {
  const env = Number(process.env.STUDIO_THREADS);
  return Number.isInteger(env) && env > 0 ? env : os.availableParallelism();
}

function sessionOptions(p: OrtProvider, threads: number): Ort.InferenceSession.SessionOptions {
  const base: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: threads };
  switch (p) {
    case 'cpu':
      return { ...base, executionProviders: ['cpu'] };
    case 'webgpu':
      return { ...base, executionProviders: [{ name: 'webgpu' }] };
    case 'dml':
      return { ...base, enableMemPattern: false, executionProviders: [{ name: 'dml' }] };
    case 'coreml':
      return { ...base, executionProviders: [{ name: 'coreml' }] };
  }
}

/** One net in one ONNX Runtime session: NCHW float32 in, NCHW float32 out. */
export class OrtNet {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly graph: Graph,
    readonly provider: OrtProvider,
    readonly threads: number,
  ) {}

  static async create(graph: Graph, provider: OrtProvider, threads = cpuThreads()): Promise<OrtNet> {
    const ort = await loadOrt();
    const bytes = modelBytes(graph);
    const session = await ort.InferenceSession.create(bytes, sessionOptions(provider, threads));
    return new OrtNet(ort, session, graph, provider, threads);
  }

  /** x: [1, C, h, w] in the graph's value range; returns [1, C', h*scale, w*scale]. */
  async run(x: Float32Array, h: number, w: number): Promise<{ data: Float32Array; channels: number; height: number; width: number }> {
    const input = new this.ort.Tensor('float32', x, [1, this.graph.inChannels, h, w]);
    const out = await this.session.run({ input });
    const y = out.output;
    try {
      const [, c, oh, ow] = y.dims;
      return { data: y.data as Float32Array, channels: c, height: oh, width: ow };
    } finally {
      input.dispose();
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

// Serialized models per graph: building one copies the weights once (x4plus: 67 MB).
const bytesMemo = new WeakMap<Graph, Uint8Array>();
function modelBytes(g: Graph): Uint8Array {
  let b = bytesMemo.get(g);
  if (!b) {
    b = graphToOnnx(g);
    bytesMemo.set(g, b);
  }
  return b;
}

// Open sessions (each holds its weights and an activation arena); three are kept.
const sessions = new PromiseLru<OrtNet>(3, (n) => n.release());
const graphIds = new WeakMap<Graph, number>();
let nextGraphId = 0;

/** A (cached) session of `graph` on `provider`. */
export function ortNet(graph: Graph, provider: OrtProvider): Promise<OrtNet> {
  let gid = graphIds.get(graph);
  if (gid === undefined) graphIds.set(graph, (gid = nextGraphId++));
  return sessions.get(`${gid}:${provider}`, () => OrtNet.create(graph, provider));
}

/** Close every cached session (tests, memory pressure, a provider that failed). */
export function releaseOrtSessions(provider?: OrtProvider): Promise<void> {
  return sessions.clear((k) => !provider || k.endsWith(`:${provider}`));
}
