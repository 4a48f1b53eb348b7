// The GPU path (WebGPU through Dawn) against the CPU path, on every net kind. Runs for real on
// any GPU; on a machine without one, on Mesa's software Vulkan driver (llvmpipe), which CI
// installs. Kept small: llvmpipe is slow. Skipped only outside CI when no adapter exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend, tf } from '../../../../src-main/engine/backend';
import type { Graph } from '../../../../src-main/engine/graph/ir';
import { OrtNet, releaseOrtSessions } from '../../../../src-main/engine/graph/ort-exec';
import { zssrGraph } from '../../../../src-main/engine/graph/zssr-net';
import { PRETRAINED, pretrainedGraph, unloadPretrained } from '../../../../src-main/engine/pretrained';
import { imageNet, initWeights } from '../../../../src-main/engine/train/archs';
import { archGraph } from '../../../../src-main/engine/train/graph';
import { createLearner } from '../../../../src-main/engine/train/learners';
import { Rng } from '../../../../src-main/engine/train/rng';
import { PairedNormalRng } from '../../../../src-main/engine/train/rng';
import { gpuAdapter } from '../../../../src-main/engine/webgpu';
import { TfTrainer, initWeights as zssrInit } from '../../../../src-main/engine/zssr/trainer';

let adapter: string | undefined;
let why = '';
beforeAll(async () => {
  try {
    adapter = (await gpuAdapter()).name;
  } catch (err) {
    why = (err as Error).message;
  }
});
afterAll(async () => {
  await releaseOrtSessions();
  await unloadPretrained();
});

const TOL = 1e-3; // on [0,1] images

function input(c: number, h: number, w: number, range: number): Float32Array {
  return Float32Array.from({ length: c * h * w }, (_, i) => ((Math.sin(i * 0.61) + 1) / 2) * range);
}

async function gpuVsCpu(g: Graph, h: number, w: number): Promise<number> {
  const x = input(g.inChannels, h, w, g.range);
  const nets = await Promise.all([OrtNet.create(g, 'cpu', 2), OrtNet.create(g, 'webgpu')]);
  try {
    const [a, b] = [await nets[0].run(x, h, w), await nets[1].run(x, h, w)];
    expect(b.data.length).toBe(a.data.length);
    let m = 0;
    for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
    return m / g.range;
  } finally {
    await Promise.all(nets.map((n) => n.release()));
  }
}

function gpuOr(skipReason: () => string): boolean {
  if (adapter) return true;
  if (process.env.CI) throw new Error(`CI must run the GPU path (Mesa llvmpipe from bookworm-backports): ${skipReason()}`);
  return false;
}

describe('WebGPU (ONNX Runtime) gives the CPU result on every net kind', () => {
  it('ESRGAN slim, medium and thick', async (ctx) => {
    if (!gpuOr(() => why)) return ctx.skip();
    for (const spec of PRETRAINED) {
      const d = await gpuVsCpu(await pretrainedGraph(spec, 2), 8, 8);
      expect(d, spec.id).toBeLessThanOrEqual(TOL);
    }
  }, 300_000);

  it("ZSSR's net and the user-trained nets (cnn, residual, gan)", async (ctx) => {
    if (!gpuOr(() => why)) return ctx.skip();
    const shape = { depth: 4, width: 16, kernel: 3 };
    expect(await gpuVsCpu(zssrGraph(zssrInit(shape, new PairedNormalRng(1)), shape), 16, 16)).toBeLessThanOrEqual(TOL);
    for (const arch of ['cnn', 'residual', 'gan'] as const) {
      const cfg = { arch, scale: 2, width: 8, depth: 2 };
      const def = imageNet(cfg);
      const w = initWeights(def.params, new PairedNormalRng(2));
      const weights = new Map([...w].map(([k, v]) => [k, { data: k.startsWith('tail') ? v.map((_, i) => 0.05 * Math.sin(i)) : v, shape: def.params.find((p) => p.name === k)?.shape ?? [] }]));
      expect(await gpuVsCpu(archGraph(cfg, weights, arch), 12, 12), arch).toBeLessThanOrEqual(TOL);
    }
  }, 300_000);
});

describe('WebGPU (tfjs on Dawn) trains as the CPU does', () => {
  it('a few ZSSR training steps give the same losses and weights', async (ctx) => {
    if (!gpuOr(() => why)) return ctx.skip();
    const shape = { depth: 3, width: 8, kernel: 3 };
    const w0 = zssrInit(shape, new PairedNormalRng(5));
    const crop = (s: number) => ({ width: 16, height: 16, channels: 3 as const, data: Float32Array.from({ length: 768 }, (_, i) => (Math.sin(i * 0.05 * s) + 1) / 2) });
    const run = async (backend: 'cpu' | 'webgpu') => {
      await ensureBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      const t = new TfTrainer(backend, shape, w0);
      try {
        const losses: number[] = [];
        for (let i = 0; i < 4; i++) losses.push(await t.stepAsync(crop(1), crop(1.3), 1e-3));
        return { losses, weights: await t.getWeightsAsync() };
      } finally {
        await t.dispose();
      }
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    await ensureBackend('cpu');
    for (let i = 0; i < cpu.losses.length; i++) expect(Math.abs(cpu.losses[i] - gpu.losses[i])).toBeLessThanOrEqual(TOL);
    expect(cpu.losses[3]).toBeLessThan(cpu.losses[0]); // it learned something
    for (let l = 0; l < shape.depth; l++) for (let i = 0; i < cpu.weights.kernels[l].length; i++) expect(Math.abs(cpu.weights.kernels[l][i] - gpu.weights.kernels[l][i])).toBeLessThanOrEqual(TOL);
  }, 300_000);
});

describe('WebGPU (tfjs on Dawn) trains studio-train nets as the CPU does', () => {
  it('a few steps of the cnn and the gan generator', async (ctx) => {
    if (!gpuOr(() => why)) return ctx.skip();
    const P = 8;
    const batch = { n: 1, P, scale: 2, lr: Float32Array.from({ length: P * P * 3 }, (_, i) => (Math.sin(i * 0.3) + 1) / 2), hr: Float32Array.from({ length: 4 * P * P * 3 }, (_, i) => (Math.sin(i * 0.15) + 1) / 2) };
    for (const arch of ['cnn', 'gan'] as const) {
      const run = async (backend: 'cpu' | 'webgpu') => {
        await ensureBackend(backend);
        const l = await createLearner({ arch, scale: 2, width: 8, depth: 2 }, { lr: 1e-3, advWeight: 1e-3 }, new Rng(3), P);
        try {
          const losses: number[] = [];
          for (let i = 0; i < 3; i++) losses.push((await l.trainStep(batch, false)).loss);
          return losses;
        } finally {
          await l.dispose();
        }
      };
      const cpu = await run('cpu');
      const gpu = await run('webgpu');
      await ensureBackend('cpu');
      for (let i = 0; i < cpu.length; i++) expect(Math.abs(cpu[i] - gpu[i]), `${arch} step ${i}`).toBeLessThanOrEqual(TOL);
    }
  }, 300_000);
});
