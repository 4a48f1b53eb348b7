import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import type { BackendName, BackendPreference } from '../contract/enhance';
import { StudioError } from '../contract/errors';

// Backend chain: native CUDA -> native CPU -> wasm -> pure JS. The native packages are optional
// dependencies (their install downloads libtensorflow), so each is probed at run time.
export const BACKEND_CHAIN: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

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

let probed: BackendStatus[] | undefined;

/** Which backends can run here, and why not where they cannot. */
export function probeBackends(): BackendStatus[] {
  if (probed) return probed;
  probed = BACKEND_CHAIN.map((name): BackendStatus => {
    const pkg = NATIVE_PACKAGE[name];
    if (!pkg) return { name, available: true };
    try {
      require.resolve(pkg);
      return { name, available: true };
    } catch {
      return { name, available: false, reason: `${pkg} is not installed (its libtensorflow download needs the internet)` };
    }
  });
  return probed;
}

/** The preference from the environment (STUDIO_BACKEND) unless a caller gives one. */
export function preferenceFromEnv(): BackendPreference {
  const v = process.env.STUDIO_BACKEND;
  return v === 'tensorflow-gpu' || v === 'tensorflow' || v === 'wasm' || v === 'cpu' ? v : 'auto';
}

async function activate(name: BackendName): Promise<boolean> {
  const pkg = NATIVE_PACKAGE[name];
  try {
    if (pkg) await import(/* @vite-ignore */ pkg); // registers the 'tensorflow' backend
    const tfName = pkg ? 'tensorflow' : name;
    return (await tf.setBackend(tfName)) && tf.getBackend() === tfName;
  } catch {
    return false;
  }
}

/**
 * Make the preferred backend (or the best available one for 'auto') active and say which ran.
 * An explicit preference that cannot run is an error, not a silent fallback.
 */
export async function ensureBackend(pref: BackendPreference = preferenceFromEnv()): Promise<BackendName> {
  const current = currentBackend();
  if (pref !== 'auto' && current === pref) return current;
  if (pref === 'auto' && current) return current;
  const candidates = pref === 'auto' ? probeBackends().filter((b) => b.available).map((b) => b.name) : [pref];
  for (const name of candidates) {
    if (await activate(name)) {
      activeName = name;
      return name;
    }
  }
  throw new StudioError('E_BACKEND_UNAVAILABLE', `compute backend '${pref}' cannot run on this machine`, {
    backends: probeBackends(),
  });
}

let activeName: BackendName | undefined;
/** The backend ensureBackend made active, or undefined before it ran. */
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
