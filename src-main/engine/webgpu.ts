// WebGPU in Node through Dawn (the `webgpu` package): Vulkan on Linux, Metal on macOS, D3D12 on
// Windows. It gives tfjs a GPU backend for training and inference on any GPU, without CUDA.
// Loaded on first use; a machine without a usable adapter says why.
import { createRequire } from 'node:module';

export interface GpuAdapterInfo {
  /** What people call the device, e.g. "Apple M2", "NVIDIA GeForce RTX 3060", "llvmpipe". */
  name: string;
  vendor: string;
  /** Backend API of the adapter ("vulkan", "metal", "d3d12", ...), when Dawn says. */
  api?: string;
  /** A CPU-emulated adapter (Mesa llvmpipe/lavapipe, SwiftShader, WARP): real, but slow. */
  software: boolean;
}

type DawnModule = { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; backend?: string; type?: string };
  isFallbackAdapter?: boolean;
}

const require = createRequire(import.meta.url);
let gpu: GpuLike | undefined;
let adapterInfo: Promise<GpuAdapterInfo> | undefined;

/** navigator.gpu from Dawn, installed as the global that WebGPU code (tfjs's backend) looks for. */
export function installNavigatorGpu(): GpuLike {
  if (gpu) return gpu;
  const dawn = require('webgpu') as DawnModule;
  Object.assign(globalThis, dawn.globals);
  gpu = dawn.create([]);
  const nav = (globalThis as { navigator?: Record<string, unknown> }).navigator;
  if (nav && typeof nav === 'object') {
    try {
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    } catch {
      Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true, writable: true });
    }
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return gpu;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|warp/i;

/** The adapter Dawn picks (high-performance), or a coded reason why there is none. */
export function gpuAdapter(): Promise<GpuAdapterInfo> {
  adapterInfo ??= (async () => {
    let g: GpuLike;
    try {
      g = installNavigatorGpu();
    } catch (err) {
      throw new Error(`the WebGPU runtime (Dawn) cannot load: ${(err as Error).message.split('\n')[0]}`);
    }
    const a = await g.requestAdapter({ powerPreference: 'high-performance' });
    if (!a) throw new Error('no WebGPU adapter: no Vulkan/Metal/D3D12 driver found for a GPU');
    const i = a.info ?? {};
    const name = (i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'unknown GPU').trim();
    return { name, vendor: i.vendor ?? '', ...(i.backend ? { api: i.backend } : {}), software: !!a.isFallbackAdapter || i.type === 'cpu' || SOFTWARE.test(`${name} ${i.vendor ?? ''}`) };
  })();
  return adapterInfo;
}

let tfjsWebgpu: Promise<void> | undefined;
/** Register tfjs's WebGPU backend ('webgpu') on Dawn's navigator.gpu. */
export function registerTfjsWebgpu(): Promise<void> {
  tfjsWebgpu ??= (async () => {
    installNavigatorGpu();
    await import('@tensorflow/tfjs-backend-webgpu');
  })();
  return tfjsWebgpu;
}
