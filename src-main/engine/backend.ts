import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { BackendName, type BackendPreference } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import type { OrtProvider } from './graph/ort-exec';
import { registerTfjsWebgpu } from './webgpu';

// Two kinds of runtime. Nets (inference) run as Graphs on ONNX Runtime (onnx-*) or as tfjs
// models; training runs on tfjs (webgpu, tensorflow-gpu, tensorflow, cpu) or on the studio's
// WebAssembly kernels (wasm, ZSSR). Optional parts are probed at run time: the libtensorflow
// packages (their install downloads libtensorflow), onnxruntime-node's providers, Dawn.

/** Every backend, in the order `studio doctor` lists them. */
export const BACKEND_CHAIN: readonly BackendName[] = BackendName.options;

/** The tfjs backends (they can train), best first. */
export const TFJS_CHAIN: readonly BackendName[] = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const ORT_PROVIDER: Partial<Record<BackendName, OrtProvider>> = { 'onnx-cpu': 'cpu', 'onnx-webgpu': 'webgpu', 'onnx-directml': 'dml', 'onnx-coreml': 'coreml' };

/** The ONNX Runtime provider of an onnx-* backend, else undefined. */
export function ortProvider(name: BackendName): OrtProvider | undefined {
  return ORT_PROVIDER[name];
}

/** Whether a backend runs on a GPU. */
export function isGpuBackend(name: BackendName): boolean {
  return name === 'onnx-webgpu' || name === 'onnx-directml' || name === 'onnx-coreml' || name === 'webgpu' || name === 'tensorflow-gpu';
}

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  reason?: string;
}

const require = createRequire(import.meta.url);
const NATIVE_PACKAGE: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Why a backend cannot run here, from what is installed and the platform (no loading). */
function staticReason(name: BackendName): string | undefined {
  const native = NATIVE_PACKAGE[name];
  if (native) return installed(native) ? undefined : `${native} is not installed (its libtensorflow download needs the internet${name === 'tensorflow-gpu' ? '; it also needs CUDA 11.2 + cuDNN 8.1' : ''})`;
  if (ortProvider(name)) {
    if (!installed('onnxruntime-node')) return 'onnxruntime-node is not installed';
    if (name === 'onnx-directml' && process.platform !== 'win32') return 'DirectML is a Windows API';
    if (name === 'onnx-coreml' && process.platform !== 'darwin') return 'CoreML is a macOS API';
    if (name === 'onnx-webgpu' && process.platform === 'linux' && process.arch !== 'x64') return `onnxruntime-node ships its WebGPU provider for Linux x64 only, not ${process.arch}`;
    return undefined;
  }
  if (name === 'webgpu') return installed('webgpu') ? undefined : 'the webgpu package (Dawn) is not installed';
  return undefined;
}

let probed: BackendStatus[] | undefined;

/** Which backends can be tried here, and why not where they cannot (cheap: nothing is loaded). */
export function probeBackends(): BackendStatus[] {
  probed ??= BACKEND_CHAIN.map((name): BackendStatus => {
    const reason = staticReason(name);
    return reason ? { name, available: false, reason } : { name, available: true };
  });
  return probed;
}

/** The preference from the environment (STUDIO_BACKEND) unless a caller gives one. */
export function preferenceFromEnv(): BackendPreference {
  const v = process.env.STUDIO_BACKEND;
  const parsed = BackendName.safeParse(v);
  return parsed.success ? parsed.data : 'auto';
}

async function activate(name: BackendName): Promise<boolean> {
  const pkg = NATIVE_PACKAGE[name];
  try {
    if (pkg) await import(/* @vite-ignore */ pkg); // registers the 'tensorflow' backend
    if (name === 'webgpu') await registerTfjsWebgpu();
    const tfName = pkg ? 'tensorflow' : name;
    return (await tf.setBackend(tfName)) && tf.getBackend() === tfName;
  } catch {
    return false;
  }
}

/**
 * The tfjs side of a preference: an onnx-* choice (inference only) trains on the tfjs backend of
 * the same kind of device.
 */
export function tfjsPreference(pref: BackendPreference): BackendPreference {
  if (pref === 'auto' || !ortProvider(pref)) return pref;
  return pref === 'onnx-cpu' ? 'auto' : 'webgpu';
}

/**
 * Make the preferred tfjs backend (or the best available one for 'auto') active and say which
 * ran. 'auto' takes tfjs's WebGPU backend only when the compute probe found a hardware GPU
 * (see compute-probe.ts, which tells this module through preferTfjsWebgpu). An explicit
 * preference that cannot run is an error, not a silent fallback.
 */
export async function ensureBackend(pref: BackendPreference = preferenceFromEnv()): Promise<BackendName> {
  const want = tfjsPreference(pref);
  const current = currentBackend();
  if (want !== 'auto' && current === want) return current;
  if (want === 'auto' && current) return current;
  const chain = TFJS_CHAIN.filter((n) => n !== 'webgpu' || gpuForTfjs);
  const candidates = want === 'auto' ? probeBackends().filter((b) => b.available && chain.includes(b.name)).map((b) => b.name) : [want];
  for (const name of candidates) {
    if (await activate(name)) {
      activeName = name;
      return name;
    }
  }
  throw new StudioError('E_BACKEND_UNAVAILABLE', `compute backend '${pref}' cannot run on this machine${staticReason(want as BackendName) ? `: ${staticReason(want as BackendName)}` : ''}`, {
    backends: probeBackends(),
  });
}

/** Run `fn` with tfjs switched to backend `name` (the compute probe), then switch back. */
export async function withTfjsBackend<T>(name: BackendName, fn: () => Promise<T>): Promise<T> {
  const before = activeName;
  if (!(await activate(name))) throw new Error(`the tfjs ${name} backend did not start`);
  try {
    return await fn();
  } finally {
    if (before) await tf.setBackend(before === 'tensorflow-gpu' ? 'tensorflow' : before);
  }
}

let gpuForTfjs = false;
/** Set by the compute probe: a hardware GPU answered, so tfjs's 'auto' trains on WebGPU. */
export function preferTfjsWebgpu(yes: boolean): void {
  gpuForTfjs = yes;
}

let activeName: BackendName | undefined;
/** The tfjs backend ensureBackend made active, or undefined before it ran. */
export function currentBackend(): BackendName | undefined {
  return activeName;
}

let gradientsReady = false;
/**
 * Register tfjs's gradient functions (autodiff training on the native TensorFlow or cpu
 * backends). tfjs-core's Node build leaves them out; the union package's Node build registers
 * them into the shared registry. Loaded on first need: it takes ~0.2 s.
 */
export function ensureGradients(): void {
  if (gradientsReady) return;
  require('@tensorflow/tfjs');
  gradientsReady = true;
}

export { tf };
