// Which backend really works here and how fast: a short probe that runs one small conv net on
// each candidate, checks its output against ONNX Runtime's CPU provider (max abs diff <= 1e-3)
// and measures GFLOP/s. Cached in a file keyed by the hardware and package versions, so it runs
// again only when either changes. `auto` picks from it; `studio doctor` shows it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { BackendName, BackendPreference } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import { BACKEND_CHAIN, isGpuBackend, ortProvider, preferTfjsWebgpu, probeBackends, tf, withTfjsBackend } from './backend';
import { FastConvNet } from './fast/convnet';
import { hwioToOihw } from './graph/from-keras';
import type { Graph, GraphNode } from './graph/ir';
import { OrtNet, cpuThreads } from './graph/ort-exec';
import { gpuAdapter, type GpuAdapterInfo } from './webgpu';

export interface ComputeStatus {
  name: BackendName;
  available: boolean;
  /** Why not (unavailable), or what went wrong when it was tried. */
  reason?: string;
  /** What it runs: nets only (ONNX Runtime), or training too (tfjs, the wasm kernels). */
  role: 'inference' | 'training and inference';
  /** "CPU · <model> · N cores" or "GPU · <name>". */
  device?: string;
  /** Measured on the probe net; undefined when not measured. */
  gflops?: number;
  /** Max abs difference from ONNX Runtime's CPU output on the probe net ([0,1] images). */
  maxDiff?: number;
}

export interface ComputeReport {
  backends: ComputeStatus[];
  /** What 'auto' runs nets on, and trains on. */
  auto: { inference: BackendName; training: BackendName };
  cpu: { model: string; cores: number };
  gpu?: GpuAdapterInfo;
  gpuError?: string;
  probedAt: string;
}

const MAX_DIFF = 1e-3;
const require = createRequire(import.meta.url);

function version(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'none';
  }
}

export function cpuInfo(): { model: string; cores: number } {
  return { model: (os.cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(), cores: os.availableParallelism() };
}

/** The badge text of a backend's device: "CPU · 8 cores", "GPU · Apple M2". */
export function deviceLabel(name: BackendName, gpu: GpuAdapterInfo | undefined): string {
  if (!isGpuBackend(name)) return `CPU · ${name === 'onnx-cpu' || name === 'wasm' || name === 'tensorflow' ? cpuThreads() : 1} ${name === 'cpu' ? 'core (JavaScript)' : 'cores'}`;
  if (name === 'tensorflow-gpu') return 'GPU · CUDA';
  if (!gpu) return 'GPU';
  const short = gpu.name.split(/[:(]/)[0].trim() || gpu.name;
  return `GPU · ${short}${gpu.software ? ' (software)' : ''}`;
}

// The probe net: five 3x3 convolutions (3 -> 64 -> 64 -> 64 -> 64 -> 3) with ReLU, residual.
const PROBE_WIDTH = 64;
const PROBE_LAYERS = 5;

function probeWeights(): { kernels: Float32Array[]; shapes: [number, number, number, number][] } {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  const kernels: Float32Array[] = [];
  const shapes: [number, number, number, number][] = [];
  for (let l = 0; l < PROBE_LAYERS; l++) {
    const ci = l === 0 ? 3 : PROBE_WIDTH;
    const co = l === PROBE_LAYERS - 1 ? 3 : PROBE_WIDTH;
    kernels.push(Float32Array.from({ length: 9 * ci * co }, rnd)); // HWIO
    shapes.push([3, 3, ci, co]);
  }
  return { kernels, shapes };
}

function probeGraph(): Graph {
  const { kernels, shapes } = probeWeights();
  const nodes: GraphNode[] = [];
  let prev = 'x';
  shapes.forEach((s, l) => {
    nodes.push({ op: 'conv', out: `c${l}`, input: prev, weight: hwioToOihw(kernels[l], s), weightShape: [s[3], s[2], 3, 3], pad: 1 });
    prev = `c${l}`;
    if (l < shapes.length - 1) nodes.push({ op: 'relu', out: (prev = `r${l}`), input: `c${l}` });
  });
  nodes.push({ op: 'add', out: 'y', inputs: ['x', prev] });
  return { name: 'probe', input: 'x', inChannels: 3, nodes, output: 'y', outChannels: 3, scale: 1, range: 1 };
}

function probeFlops(side: number): number {
  return probeWeights().shapes.reduce((n, [kh, kw, ci, co]) => n + 2 * side * side * kh * kw * ci * co, 0);
}

function probeInput(side: number): Float32Array {
  return Float32Array.from({ length: 3 * side * side }, (_, i) => (Math.sin(i * 0.37) + 1) / 2);
}

async function timeRuns(run: () => Promise<Float32Array>, runs = 3): Promise<{ ms: number; out: Float32Array }> {
  let out = await run(); // warm-up: shader compilation, arena growth
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = await run();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, out };
}

const SIDE = 64;

async function measureOrt(name: BackendName): Promise<{ ms: number; out: Float32Array }> {
  const net = await OrtNet.create(probeGraph(), ortProvider(name) ?? 'cpu');
  try {
    const x = probeInput(SIDE);
    return await timeRuns(async () => (await net.run(x, SIDE, SIDE)).data);
  } finally {
    await net.release();
  }
}

/** The probe net on a tfjs backend (NCHW in and out, to compare with ONNX Runtime). */
function measureTfjs(name: BackendName): Promise<{ ms: number; out: Float32Array }> {
  return withTfjsBackend(name, async () => {
    const { kernels, shapes } = probeWeights();
    const ks = kernels.map((k, l) => tf.tensor4d(k, shapes[l]));
    const x = tf.tidy(() => tf.transpose(tf.tensor4d(probeInput(SIDE), [1, 3, SIDE, SIDE]), [0, 2, 3, 1]));
    try {
      return await timeRuns(async () => {
        const y = tf.tidy(() => {
          let a = x as tf.Tensor4D;
          ks.forEach((k, l) => {
            a = tf.conv2d(a, k, 1, 'same');
            if (l < ks.length - 1) a = tf.relu(a);
          });
          return tf.transpose(tf.add(x, a), [0, 3, 1, 2]);
        });
        const d = (await y.data()) as Float32Array;
        y.dispose();
        return d;
      });
    } finally {
      tf.dispose([...ks, x]);
    }
  });
}

/** The probe net on the studio's WebAssembly kernels (what ZSSR trains and infers with). */
async function measureWasm(): Promise<{ ms: number; out: Float32Array }> {
  const { kernels, shapes } = probeWeights();
  const net = await FastConvNet.create({ depth: PROBE_LAYERS, width: PROBE_WIDTH }, { maxCrop: { height: SIDE, width: SIDE } });
  try {
    net.setWeights({ kernels, biases: shapes.map((s) => new Float32Array(s[3])) });
    const nchw = probeInput(SIDE);
    const px = SIDE * SIDE;
    const hwc = new Float32Array(3 * px);
    for (let c = 0; c < 3; c++) for (let p = 0; p < px; p++) hwc[p * 3 + c] = nchw[c * px + p];
    return await timeRuns(async () => {
      const y = net.forward({ width: SIDE, height: SIDE, channels: 3, data: hwc }).data;
      const out = new Float32Array(3 * px);
      for (let c = 0; c < 3; c++) for (let p = 0; p < px; p++) out[c * px + p] = y[p * 3 + c];
      return out;
    });
  } finally {
    await net.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isFinite(m) && a.length === b.length ? m : Infinity;
}

interface CacheFile {
  fingerprint: string;
  report: ComputeReport;
}

function cacheFile(): string {
  return process.env.STUDIO_PROBE_CACHE ?? path.join(os.tmpdir(), `loupe-studio-compute-${typeof process.getuid === 'function' ? process.getuid() : 'user'}.json`);
}

/** Cheap sign of the GPUs present (Linux: PCI ids of the display devices), without starting Dawn. */
function gpuHint(): string {
  if (process.platform !== 'linux') return '';
  try {
    return fs
      .readdirSync('/sys/class/drm')
      .filter((d) => /^card\d+$/.test(d))
      .map((d) => ['vendor', 'device'].map((f) => fs.readFileSync(`/sys/class/drm/${d}/device/${f}`, 'utf8').trim()).join(':'))
      .sort()
      .join(',');
  } catch {
    return '';
  }
}

/** Probes older than this are redone (a GPU or driver may have changed where gpuHint cannot tell). */
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

function fingerprint(): string {
  const c = cpuInfo();
  return JSON.stringify({
    v: 1,
    platform: process.platform,
    arch: process.arch,
    cpu: c.model,
    cores: c.cores,
    mem: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    gpu: gpuHint(),
    pkgs: ['onnxruntime-node', 'webgpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].map(version),
  });
}

function readCache(fp: string): ComputeReport | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as CacheFile;
    const age = Date.now() - Date.parse(c.report.probedAt);
    return c.fingerprint === fp && age >= 0 && age < MAX_AGE_MS ? c.report : undefined;
  } catch {
    return undefined; // missing or damaged: probe again
  }
}

function writeCache(fp: string, report: ComputeReport): void {
  try {
    const file = cacheFile();
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ fingerprint: fp, report } satisfies CacheFile));
    fs.renameSync(tmp, file);
  } catch {
    // a cache that cannot be written only costs a probe next time
  }
}

const ROLE = (name: BackendName): ComputeStatus['role'] => (ortProvider(name) ? 'inference' : 'training and inference');

let memo: Promise<ComputeReport> | undefined;

/**
 * Probe the backends. `full` measures every available backend (doctor); otherwise only what
 * 'auto' needs to choose (software GPUs and the slow tfjs CPU paths are not candidates).
 */
export function probeCompute(opts: { full?: boolean; refresh?: boolean } = {}): Promise<ComputeReport> {
  if (memo && !opts.refresh) {
    return memo.then((r) => (opts.full && r.backends.some((b) => b.available && b.gflops === undefined && !b.reason) ? runProbe(true, false) : r));
  }
  memo = runProbe(opts.full ?? false, opts.refresh ?? false);
  memo.catch(() => (memo = undefined));
  return memo;
}

async function runProbe(full: boolean, refresh: boolean): Promise<ComputeReport> {
  const statics = probeBackends();
  const fp = fingerprint();
  const cached = refresh ? undefined : readCache(fp);
  if (cached && (!full || cached.backends.every((b) => !b.available || b.gflops !== undefined || b.reason))) {
    preferTfjsWebgpu(cached.auto.training === 'webgpu');
    return cached;
  }
  const webgpuInstalled = statics.find((b) => b.name === 'webgpu')?.available ?? false;
  let gpu: GpuAdapterInfo | undefined;
  let gpuError: string | undefined;
  if (webgpuInstalled) {
    try {
      gpu = await gpuAdapter();
    } catch (err) {
      gpuError = (err as Error).message;
    }
  }
  const prev = new Map((cached?.backends ?? []).map((b) => [b.name, b]));
  const backends: ComputeStatus[] = [];
  let reference: Float32Array | undefined;
  const flops = probeFlops(SIDE);
  for (const s of statics) {
    const base: ComputeStatus = { name: s.name, available: s.available, role: ROLE(s.name) };
    if (!s.available) {
      backends.push({ ...base, ...(s.reason ? { reason: s.reason } : {}) });
      continue;
    }
    const gpuUse = isGpuBackend(s.name) && s.name !== 'tensorflow-gpu';
    if (gpuUse && !gpu) {
      backends.push({ ...base, available: false, reason: gpuError ?? 'no GPU adapter' });
      continue;
    }
    const device = deviceLabel(s.name, gpu);
    const worth = full || s.name === 'onnx-cpu' || (gpuUse && gpu && !gpu.software) || s.name === 'tensorflow-gpu' || s.name === 'tensorflow';
    const old = prev.get(s.name);
    if (old && (old.gflops !== undefined || old.reason)) {
      backends.push(old);
      continue;
    }
    if (!worth) {
      backends.push({ ...base, device });
      continue;
    }
    try {
      const m = ortProvider(s.name) ? await measureOrt(s.name) : s.name === 'wasm' ? await measureWasm() : await measureTfjs(s.name);
      if (s.name === 'onnx-cpu') reference = m.out;
      reference ??= (await measureOrt('onnx-cpu').catch(() => undefined))?.out;
      const diff = reference ? maxAbsDiff(m.out, reference) : undefined;
      const ok = diff === undefined || diff <= MAX_DIFF;
      backends.push({
        ...base,
        available: ok,
        device,
        gflops: Math.round((flops / (m.ms * 1e6)) * 10) / 10,
        ...(diff !== undefined ? { maxDiff: diff } : {}),
        ...(ok ? {} : { reason: `gives wrong results here (max difference ${diff?.toExponential(1)} from the CPU)` }),
      });
    } catch (err) {
      backends.push({ ...base, available: false, device, reason: `failed when tried: ${(err as Error).message.split('\n')[0].slice(0, 160)}` });
    }
  }
  const report: ComputeReport = {
    backends,
    auto: { inference: pickInference(backends, gpu), training: pickTraining(backends, gpu) },
    cpu: cpuInfo(),
    ...(gpu ? { gpu } : {}),
    ...(gpuError ? { gpuError } : {}),
    probedAt: new Date().toISOString(),
  };
  preferTfjsWebgpu(report.auto.training === 'webgpu');
  writeCache(fp, report);
  return report;
}

function measuredWorking(backends: ComputeStatus[], gpu: GpuAdapterInfo | undefined): ComputeStatus[] {
  return backends
    .filter((b) => b.available && b.gflops !== undefined && !(isGpuBackend(b.name) && b.name !== 'tensorflow-gpu' && gpu?.software))
    .sort((a, b) => (b.gflops ?? 0) - (a.gflops ?? 0));
}

function pickInference(backends: ComputeStatus[], gpu: GpuAdapterInfo | undefined): BackendName {
  return measuredWorking(backends, gpu)[0]?.name ?? (backends.find((b) => b.name === 'onnx-cpu')?.available ? 'onnx-cpu' : 'wasm');
}

function pickTraining(backends: ComputeStatus[], gpu: GpuAdapterInfo | undefined): BackendName {
  const best = measuredWorking(backends, gpu).find((b) => b.role !== 'inference');
  return best?.name ?? 'wasm';
}

/**
 * Backends to run a net on, first choice first, then the fallbacks for a failure mid-job:
 * the measured working ones by speed, then ONNX Runtime's CPU provider, then tfjs (wasm, cpu).
 * A forced preference comes first but still falls back (with a notice) if it fails mid-job.
 */
export async function inferenceChain(pref: BackendPreference): Promise<BackendName[]> {
  const statics = probeBackends();
  const ok = (n: BackendName) => statics.some((b) => b.name === n && b.available);
  if (pref !== 'auto' && !ok(pref)) {
    const why = statics.find((b) => b.name === pref)?.reason;
    throw new StudioError('E_BACKEND_UNAVAILABLE', `compute backend '${pref}' cannot run on this machine${why ? `: ${why}` : ''}`, { backends: statics });
  }
  let report: ComputeReport | undefined;
  try {
    report = await probeCompute();
  } catch {
    report = undefined;
  }
  const ranked = report ? measuredWorking(report.backends, report.gpu).map((b) => b.name) : [];
  const first = pref === 'auto' ? (report?.auto.inference ?? (ok('onnx-cpu') ? 'onnx-cpu' : 'wasm')) : pref;
  const chain = [first, ...ranked, 'onnx-cpu', 'wasm', 'cpu'].filter((n): n is BackendName => BACKEND_CHAIN.includes(n as BackendName) && ok(n as BackendName));
  return [...new Set(chain)];
}
