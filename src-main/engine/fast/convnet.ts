import os from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FloatImage } from '../../contract/image';
import { StudioError } from '../../contract/errors';
import { toRgb } from '../channels';
import { CONVNET_RELAXED_WASM_BASE64, CONVNET_WASM_BASE64 } from './convnet-wasm';
import { FN_GRAD, FN_INFER, FN_TRAIN, HEADER_WORDS, MAXL, MAX_THREADS, OFFSET, RUN_STATE_WORDS, WINO_PARTS, WINO_TILES, type HeaderField } from './layout';

/**
 * The ZSSR network (depth 3x3 conv layers, `width` channels, ReLU between, residual over the
 * input) trained and run by hand-written WebAssembly SIMD kernels on several threads that
 * share one memory. tfjs's wasm backend cannot train convolutions (no Conv2DBackpropFilter)
 * and uses one core in Node; this runs forward + backward + Adam on all cores.
 */
export interface ConvNetSpec {
  depth: number;
  width: number;
}

/** Weights in tfjs layout: kernels [3,3,cin,cout] (HWIO) flattened, biases [cout]. RGB in and out. */
export interface ConvNetWeights {
  kernels: Float32Array[];
  biases: Float32Array[];
}

export interface FastNetOptions {
  /** Threads including the calling one (default: all cores, at most 8). */
  threads?: number;
  /** Largest training crop (height, width); buffers are sized for it. */
  maxCrop?: { height: number; width: number };
  /**
   * Train the biases (default true). ZSSR's original network has no biases: with false they keep
   * the values set (zeros) and their gradients read as zero.
   */
  trainBias?: boolean;
  /**
   * How the wide 3x3 layers (input and output channels multiples of 8) are computed: 'winograd'
   * (default; F(4x4,3x3), about a third of the arithmetic) or 'direct' (the plain sum; also what
   * the thin first and last layers always use).
   */
  convAlgorithm?: ConvAlgorithm;
}

export type ConvAlgorithm = 'winograd' | 'direct';

// The few WebAssembly APIs used here, typed locally (the Node typings leave the global out).
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;
const BASE = 4 * PAGE; // below: the module's own stack (unused: every thread gets one of its own)
/** Stack of each thread in the shared memory (clang keeps local arrays there, e.g. tile transforms). */
const STACK_BYTES = 64 * 1024;
const IMAGE_CHANNELS = 3;
const PADDED_RGB = 4;

let compiled: { module: WasmModule; fma: boolean } | undefined;

/**
 * The relaxed-SIMD build (fused multiply-add, ~1.3x faster) where the runtime has relaxed SIMD:
 * Electron's V8 ships it; Node 20 has it behind a V8 flag, which is turned on here (it only adds
 * wasm instructions). STUDIO_WASM_FMA=0 forces the plain SIMD build.
 */
function wasmModule(): WasmModule {
  if (compiled) return compiled.module;
  const relaxed = Buffer.from(CONVNET_RELAXED_WASM_BASE64, 'base64');
  let fma = process.env.STUDIO_WASM_FMA !== '0' && WA.validate(relaxed);
  if (!fma && process.env.STUDIO_WASM_FMA !== '0') {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      fma = WA.validate(relaxed);
    } catch {
      fma = false;
    }
  }
  const module = new WA.Module(fma ? relaxed : Buffer.from(CONVNET_WASM_BASE64, 'base64'));
  compiled = { module, fma };
  return module;
}

/** Whether the fused multiply-add build is in use (after the first network was created). */
export function fastKernelFlavor(): string {
  wasmModule();
  return compiled?.fma ? 'wasm-simd-fma' : 'wasm-simd';
}

// Each extra thread is a worker that sleeps on the control word and runs `run(header, fn, tid)`,
// then counts itself out. Control words: 0 sequence, 1 fn, 2 header, 3 quit, 4 runs finished.
// Plain CommonJS evaluated in the worker, so it loads the same under tsx, vitest and a bundle.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl, tid, sp } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
inst.exports.__stack_pointer.value = sp;
const run = inst.exports.run;
const base = ctl >> 2;
let seen = 0;
for (;;) {
  const i32 = new Int32Array(memory.buffer);
  Atomics.wait(i32, base, seen);
  seen = Atomics.load(i32, base);
  if (Atomics.load(i32, base + 3) !== 0) break;
  run(Atomics.load(i32, base + 2), Atomics.load(i32, base + 1), tid);
  Atomics.add(i32, base + 4, 1);
  Atomics.notify(i32, base + 4);
}
`;

export function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, n));
}

interface Header {
  at: number; // byte offset
}

export class FastConvNet {
  readonly spec: ConvNetSpec;
  readonly threads: number;
  readonly convAlgorithm: ConvAlgorithm;
  private memory: WasmMemory;
  private run: (header: number, fn: number, tid: number) => void;
  private workers: Worker[] = [];
  private top = BASE;
  private ctl: number;
  private stacks: number;
  private train: Header;
  private inferH: Header;
  private cin: number[];
  private cout: number[];
  private wOff: number[] = [];
  private bOff: number[] = [];
  private nparams = 0;
  private params: number;
  private grads: number;
  private mOff: number;
  private vOff: number;
  private maxCrop: { height: number; width: number };
  private inferCap = 0; // pixels (padded) the inference buffers hold
  private wino: boolean[];
  private transformsStale = true; // the Winograd weight transforms predate the weights
  private step = 0;
  private disposed = false;

  private constructor(spec: ConvNetSpec, opts: FastNetOptions) {
    if (spec.depth < 2 || spec.depth > MAXL) throw new StudioError('E_CONFIG_INVALID', `network depth must be 2..${MAXL}`);
    if (spec.width % 4 !== 0) throw new StudioError('E_CONFIG_INVALID', 'network width must be a multiple of 4 for the fast kernels');
    this.spec = spec;
    this.threads = Math.max(1, Math.min(MAX_THREADS, opts.threads ?? defaultThreads()));
    this.maxCrop = opts.maxCrop ?? { height: 128, width: 128 };
    this.cin = Array.from({ length: spec.depth }, (_, l) => (l === 0 ? PADDED_RGB : spec.width));
    this.cout = Array.from({ length: spec.depth }, (_, l) => (l === spec.depth - 1 ? PADDED_RGB : spec.width));
    this.convAlgorithm = opts.convAlgorithm ?? 'winograd';
    // The first layer (4 padded input channels) is never Winograd: its phase prepares the others' weights.
    this.wino = this.cin.map((ci, l) => this.convAlgorithm === 'winograd' && l > 0 && ci % 8 === 0 && this.cout[l] % 8 === 0);
    this.memory = new WA.Memory({ initial: 64, maximum: 65536, shared: true });
    const inst = new WA.Instance(wasmModule(), { env: { memory: this.memory } });
    const ex = inst.exports as Record<string, unknown>;
    const exported = (name: string): number => (ex[name] as () => number)();
    if (exported('header_words') !== HEADER_WORDS || exported('offset_words') !== OFFSET.done || exported('wino_tiles') !== WINO_TILES || exported('wino_parts') !== WINO_PARTS) {
      throw new StudioError('E_INTERNAL', 'fast kernel header layout mismatch (rebuild convnet-wasm.ts)');
    }
    this.run = ex.run as (header: number, fn: number, tid: number) => void;

    this.ctl = this.alloc(64);
    // One stack per thread: instances start with the same stack pointer, and two threads on one
    // stack would overwrite each other's locals.
    this.stacks = this.alloc(STACK_BYTES * this.threads);
    (ex.__stack_pointer as { value: number }).value = this.stackTop(0);
    this.train = { at: this.alloc(HEADER_WORDS * 4) };
    this.inferH = { at: this.alloc(HEADER_WORDS * 4) };
    for (let l = 0; l < spec.depth; l++) {
      this.wOff.push(this.nparams);
      this.nparams += 9 * this.cin[l] * this.cout[l];
      this.bOff.push(this.nparams);
      this.nparams += this.cout[l];
    }
    this.params = this.alloc(this.nparams * 4);
    this.grads = this.alloc(this.nparams * 4);
    this.mOff = this.alloc(this.nparams * 4);
    this.vOff = this.alloc(this.nparams * 4);
    for (const h of [this.train, this.inferH]) this.fillCommon(h);
    this.setI(this.train, 'train_bias', opts.trainBias === false ? 0 : 1);
    this.allocWinograd();
    this.allocTraining();
  }

  /** Compile (once per process), allocate, and start the helper threads. */
  static async create(spec: ConvNetSpec, opts: FastNetOptions = {}): Promise<FastConvNet> {
    const net = new FastConvNet(spec, opts);
    await net.startWorkers();
    return net;
  }

  private async startWorkers(): Promise<void> {
    const starts: Promise<void>[] = [];
    for (let tid = 1; tid < this.threads; tid++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: wasmModule(), memory: this.memory, ctl: this.ctl, tid, sp: this.stackTop(tid) } });
      this.workers.push(w);
      starts.push(
        new Promise((resolve, reject) => {
          w.once('online', () => {
            w.unref(); // an undisposed network must not keep the process alive
            resolve();
          });
          w.once('error', reject);
        }),
      );
    }
    await Promise.all(starts);
  }

  // ---- memory ----
  private stackTop(tid: number): number {
    return this.stacks + STACK_BYTES * (tid + 1); // stacks grow down
  }
  private alloc(bytes: number): number {
    const at = this.top;
    this.top = (this.top + bytes + 63) & ~63;
    const need = Math.ceil(this.top / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) this.memory.grow(need - have);
    return at;
  }
  private get i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }
  private get f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }
  private setI(h: Header, field: HeaderField, value: number, index = 0): void {
    this.i32[(h.at >> 2) + OFFSET[field] + index] = value;
  }
  private setF(h: Header, field: HeaderField, value: number): void {
    this.f32[(h.at >> 2) + OFFSET[field]] = value;
  }
  private getF(h: Header, field: HeaderField): number {
    return this.f32[(h.at >> 2) + OFFSET[field]];
  }

  private fillCommon(h: Header): void {
    const L = this.spec.depth;
    this.setI(h, 'stacks', this.stacks);
    this.setI(h, 'stack_bytes', STACK_BYTES);
    this.setI(h, 'depth', L);
    this.setI(h, 'nthreads', this.threads);
    for (let l = 0; l < L; l++) {
      this.setI(h, 'cin', this.cin[l], l);
      this.setI(h, 'cout', this.cout[l], l);
      this.setI(h, 'w', this.wOff[l], l);
      this.setI(h, 'b', this.bOff[l], l);
      this.setI(h, 'gw', this.wOff[l], l);
      this.setI(h, 'gb', this.bOff[l], l);
    }
    this.setI(h, 'params', this.params);
    this.setI(h, 'grads', this.grads);
    this.setI(h, 'm', this.mOff);
    this.setI(h, 'v', this.vOff);
    this.setI(h, 'nparams', this.nparams);
    this.setF(h, 'beta1', 0.9);
    this.setF(h, 'beta2', 0.999);
    this.setF(h, 'eps', 1e-8);
  }

  /**
   * Transformed weights of the Winograd layers (forward [36][cin][cout], input gradient
   * [36][cout][cin]), each thread's scratch (two blocks of transformed tiles, the transform-domain
   * sums of a weight gradient) and the weight-gradient parts (WINO_PARTS per layer, alternating
   * by layer parity).
   */
  private allocWinograd(): void {
    const layers = this.wino.flatMap((w, l) => (w ? [l] : []));
    if (layers.length === 0) return;
    for (const l of layers) {
      const bytes = 36 * (this.cin[l] * this.cout[l] + 16) * 4; // wslab() in winograd.h
      const uf = this.alloc(bytes), ub = this.alloc(bytes);
      for (const h of [this.train, this.inferH]) {
        this.setI(h, 'uf', uf, l);
        this.setI(h, 'ub', ub, l);
      }
    }
    const cmax = Math.max(...layers.map((l) => Math.max(this.cin[l], this.cout[l])));
    const block = 36 * WINO_TILES * cmax * 4;
    const sums = Math.max(...layers.map((l) => 36 * (this.cin[l] * this.cout[l] + 16) * 4)); // wslab() in winograd.h
    const stride = (2 * block + sums + 63) & ~63;
    const base = this.alloc(stride * this.threads);
    const partStride = (Math.max(...layers.map((l) => 9 * this.cin[l] * this.cout[l] * 4)) + 63) & ~63;
    const parts = this.alloc(2 * WINO_PARTS * partStride);
    for (const h of [this.train, this.inferH]) {
      this.setI(h, 'scratch', base);
      this.setI(h, 'sstride', stride);
      this.setI(h, 'svb', block);
      this.setI(h, 'sm', 2 * block);
      this.setI(h, 'part', parts);
      this.setI(h, 'part_stride', partStride);
    }
  }

  private allocTraining(): void {
    const { height: H, width: W } = this.maxCrop;
    const px = (H + 2) * (W + 2);
    const L = this.spec.depth;
    const h = this.train;
    for (let l = 0; l <= L; l++) this.setI(h, 'act', this.alloc(px * (l === 0 ? this.cin[0] : this.cout[l - 1]) * 4), l);
    const maxC = Math.max(...this.cin, ...this.cout);
    this.setI(h, 'dz', this.alloc(px * maxC * 4), 0);
    this.setI(h, 'dz', this.alloc(px * maxC * 4), 1);
    for (let l = 0; l < L; l++) this.setI(h, 'wt', this.alloc(9 * this.cin[l] * this.cout[l] * 4), l);
    this.setI(h, 'hr', this.alloc(H * W * IMAGE_CHANNELS * 4));
    this.setI(h, 'loss_rows', this.alloc(H * 4));
  }

  private ensureInfer(H: number, W: number): void {
    const px = (H + 2) * (W + 2);
    if (px <= this.inferCap) return;
    // Simple bump allocation: earlier inference buffers are abandoned (inference sizes are few).
    const maxC = Math.max(...this.cin, ...this.cout);
    const h = this.inferH;
    this.setI(h, 'act', this.alloc(px * PADDED_RGB * 4), 0);
    this.setI(h, 'act', this.alloc(px * maxC * 4), 1);
    this.setI(h, 'act', this.alloc(px * maxC * 4), 2);
    this.setI(h, 'out', this.alloc(H * W * IMAGE_CHANNELS * 4));
    this.inferCap = px;
  }

  // ---- execution ----
  private launched = 0; // worker runs started so far

  /**
   * Wait until every worker has left the previous run. A worker the OS kept parked may wake after
   * the run is complete and walk through it (finding no work left); nothing it reads (header,
   * input buffers, counters) may change before it is out.
   */
  private quiesce(): void {
    if (this.launched === 0) return;
    const i32 = this.i32;
    const base = this.ctl >> 2;
    for (;;) {
      const finished = Atomics.load(i32, base + 4);
      if (finished >= this.launched) return;
      Atomics.wait(i32, base + 4, finished, 1000);
    }
  }

  private exec(h: Header, fn: number): void {
    if (this.disposed) throw new StudioError('E_INTERNAL', 'fast network used after dispose');
    this.quiesce();
    const i32 = this.i32;
    const base = this.ctl >> 2;
    const w = h.at >> 2;
    i32.fill(0, w + OFFSET.claim, w + OFFSET.claim + RUN_STATE_WORDS);
    if (this.threads > 1) {
      Atomics.store(i32, base + 1, fn);
      Atomics.store(i32, base + 2, h.at);
      this.launched += this.threads - 1;
      Atomics.add(i32, base, 1);
      Atomics.notify(i32, base);
    }
    this.run(h.at, fn, 0); // returns when every chunk of the run is done, by whichever thread
    if (Atomics.load(i32, w + OFFSET.fault) !== 0) throw new StudioError('E_INTERNAL', 'fast kernel thread found itself on another thread\'s stack');
  }

  // ---- weights ----
  get parameterCount(): number {
    let n = 0;
    for (let l = 0; l < this.spec.depth; l++) n += 9 * this.logicalIn(l) * this.logicalOut(l) + this.logicalOut(l);
    return n;
  }
  private logicalIn(l: number): number {
    return l === 0 ? IMAGE_CHANNELS : this.spec.width;
  }
  private logicalOut(l: number): number {
    return l === this.spec.depth - 1 ? IMAGE_CHANNELS : this.spec.width;
  }

  setWeights(w: ConvNetWeights): void {
    this.transformsStale = true;
    this.writeParams(this.params, w);
  }
  getWeights(): ConvNetWeights {
    return this.readParams(this.params);
  }

  private writeParams(base: number, w: ConvNetWeights): void {
    this.quiesce();
    const f = this.f32;
    const p = base >> 2;
    for (let l = 0; l < this.spec.depth; l++) {
      const ci = this.logicalIn(l), co = this.logicalOut(l), Ci = this.cin[l], Co = this.cout[l];
      const k = w.kernels[l], b = w.biases[l];
      if (k.length !== 9 * ci * co || b.length !== co) throw new StudioError('E_INTERNAL', `weights of layer ${l} have the wrong size`);
      f.fill(0, p + this.wOff[l], p + this.wOff[l] + 9 * Ci * Co + Co);
      for (let t = 0; t < 9; t++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) f[p + this.wOff[l] + (t * Ci + i) * Co + o] = k[(t * ci + i) * co + o];
      for (let o = 0; o < co; o++) f[p + this.bOff[l] + o] = b[o];
    }
  }

  private readParams(base: number): ConvNetWeights {
    this.quiesce();
    const f = this.f32;
    const p = base >> 2;
    const kernels: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (let l = 0; l < this.spec.depth; l++) {
      const ci = this.logicalIn(l), co = this.logicalOut(l), Ci = this.cin[l], Co = this.cout[l];
      const k = new Float32Array(9 * ci * co);
      for (let t = 0; t < 9; t++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) k[(t * ci + i) * co + o] = f[p + this.wOff[l] + (t * Ci + i) * Co + o];
      kernels.push(k);
      biases.push(f.slice(p + this.bOff[l], p + this.bOff[l] + co));
    }
    return { kernels, biases };
  }

  /** Forget Adam's moments (a new training run on the same buffers). */
  resetOptimizer(): void {
    this.quiesce();
    this.f32.fill(0, this.mOff >> 2, (this.mOff >> 2) + this.nparams);
    this.f32.fill(0, this.vOff >> 2, (this.vOff >> 2) + this.nparams);
    this.step = 0;
  }

  private loadCrop(input: FloatImage, target: FloatImage): void {
    this.quiesce();
    const { width: W, height: H } = input;
    if (target.width !== W || target.height !== H) throw new StudioError('E_INTERNAL', 'input and target crops differ in size');
    if (H > this.maxCrop.height || W > this.maxCrop.width) throw new StudioError('E_INTERNAL', `crop ${W}x${H} exceeds the allocated ${this.maxCrop.width}x${this.maxCrop.height}`);
    const h = this.train;
    this.setI(h, 'H', H);
    this.setI(h, 'W', W);
    const f = this.f32;
    writePadded(f, this.i32[(h.at >> 2) + OFFSET.act] >> 2, input);
    const hr = this.i32[(h.at >> 2) + OFFSET.hr] >> 2;
    copyRgb(f, hr, target);
  }

  /** One step of L1 training with Adam at learning rate `lr`; returns the loss before the update. */
  trainStep(input: FloatImage, target: FloatImage, lr: number): number {
    this.loadCrop(input, target);
    this.step++;
    this.setI(this.train, 't', this.step);
    this.setF(this.train, 'lr', lr);
    this.transformsStale = true;
    this.exec(this.train, FN_TRAIN);
    return this.getF(this.train, 'loss');
  }

  /** Loss and gradients for one crop without changing the weights (tests, diagnostics). */
  gradients(input: FloatImage, target: FloatImage): { loss: number; grads: ConvNetWeights } {
    this.loadCrop(input, target);
    const saved = this.f32.slice(this.mOff >> 2, (this.vOff >> 2) + this.nparams);
    this.setI(this.train, 't', 1);
    this.setF(this.train, 'lr', 0);
    this.exec(this.train, FN_GRAD);
    this.quiesce();
    this.f32.set(saved, this.mOff >> 2);
    return { loss: this.getF(this.train, 'loss'), grads: this.readParams(this.grads) };
  }

  /**
   * input + net(input) for a whole image (unclipped), computed in row bands with a halo as deep
   * as the network so memory stays bounded and the result equals a single pass exactly.
   */
  forward(input: FloatImage, maxBandPixels = 512 * 512): FloatImage {
    const { width: W, height: H } = input;
    const halo = this.spec.depth;
    const bandRows = Math.max(1, Math.min(H, Math.floor(maxBandPixels / W) - 2 * halo));
    const out = new Float32Array(W * H * IMAGE_CHANNELS);
    const rgb = toRgb(input);
    for (let y = 0; y < H; y += bandRows) {
      const y0 = Math.max(0, y - halo);
      const y1 = Math.min(H, y + bandRows + halo);
      const band: FloatImage = { width: W, height: y1 - y0, channels: 3, data: rgb.data.subarray(y0 * W * 3, y1 * W * 3) };
      const res = this.forwardWhole(band);
      const keep0 = y - y0;
      const keep1 = Math.min(H, y + bandRows) - y0;
      out.set(res.subarray(keep0 * W * 3, keep1 * W * 3), y * W * 3);
    }
    return { width: W, height: H, channels: 3, data: out };
  }

  private forwardWhole(input: FloatImage): Float32Array {
    this.quiesce();
    const { width: W, height: H } = input;
    this.ensureInfer(H, W);
    const h = this.inferH;
    this.setI(h, 'H', H);
    this.setI(h, 'W', W);
    this.setI(h, 'prep', this.transformsStale ? 1 : 0);
    this.transformsStale = false;
    writePadded(this.f32, this.i32[(h.at >> 2) + OFFSET.act] >> 2, input);
    this.exec(h, FN_INFER);
    const o = this.i32[(h.at >> 2) + OFFSET.out] >> 2;
    return this.f32.slice(o, o + H * W * 3);
  }

  /** Stop the helper threads. The object is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.quiesce();
    this.disposed = true;
    if (this.workers.length) {
      const i32 = this.i32;
      const base = this.ctl >> 2;
      Atomics.store(i32, base + 3, 1);
      Atomics.add(i32, base, 1);
      Atomics.notify(i32, base);
      await Promise.all(
        this.workers.map(
          (w) =>
            new Promise<void>((r) => {
              w.ref();
              w.once('exit', () => r());
            }),
        ),
      );
      this.workers = [];
    }
  }
}

/** Write an RGB (or gray) image into a padded 4-channel buffer at word offset `at` (border zeroed by the kernel). */
function writePadded(f: Float32Array, at: number, img: FloatImage): void {
  const { width: W, height: H, channels: C, data } = img;
  for (let y = 0; y < H; y++) {
    let o = at + ((y + 1) * (W + 2) + 1) * PADDED_RGB;
    let i = y * W * C;
    for (let x = 0; x < W; x++, o += PADDED_RGB, i += C) {
      if (C === 3) {
        f[o] = data[i];
        f[o + 1] = data[i + 1];
        f[o + 2] = data[i + 2];
      } else {
        f[o] = f[o + 1] = f[o + 2] = data[i];
      }
      f[o + 3] = 0;
    }
  }
}

function copyRgb(f: Float32Array, at: number, img: FloatImage): void {
  if (img.channels === 3) {
    f.set(img.data.subarray(0, img.width * img.height * 3), at);
    return;
  }
  for (let i = 0; i < img.width * img.height; i++) f[at + 3 * i] = f[at + 3 * i + 1] = f[at + 3 * i + 2] = img.data[i];
}
