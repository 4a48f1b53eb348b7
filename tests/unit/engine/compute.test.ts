import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../src-main/contract/image';
import { ensureBackend, probeBackends, tf } from '../../../src-main/engine/backend';
import { computeInfo } from '../../../src-main/engine/compute-info';
import { inferenceChain, probeCompute } from '../../../src-main/engine/compute-probe';
import type { Graph } from '../../../src-main/engine/graph/ir';
import { releaseOrtSessions } from '../../../src-main/engine/graph/ort-exec';
import { upscaleWithNet, type NetSpec } from '../../../src-main/engine/pretrained/net-runner';
import type { EngineEvent } from '../../../src-main/engine/upscaler';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'studio-compute-'));
process.env.STUDIO_PROBE_CACHE = path.join(dir, 'probe.json');
afterAll(async () => {
  await releaseOrtSessions();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('compute probe', () => {
  it('measures ONNX Runtime on the CPU, says why other backends cannot run, and caches the result', async () => {
    const r = await probeCompute();
    const cpu = r.backends.find((b) => b.name === 'onnx-cpu');
    expect(cpu).toMatchObject({ available: true, role: 'inference' });
    expect(cpu?.gflops).toBeGreaterThan(0.5);
    expect(cpu?.device).toMatch(/^CPU · \d+ cores$/);
    expect(cpu?.maxDiff).toBe(0);
    for (const b of r.backends) if (!b.available) expect(b.reason, b.name).toBeTruthy();
    if (process.platform !== 'win32') expect(r.backends.find((b) => b.name === 'onnx-directml')?.reason).toMatch(/Windows/);
    expect(r.auto.inference).toBeTruthy();
    const cached = JSON.parse(fs.readFileSync(process.env.STUDIO_PROBE_CACHE!, 'utf8')) as { fingerprint: string; report: { auto: unknown } };
    expect(cached.report.auto).toEqual(r.auto);
    expect(cached.fingerprint).toContain(os.cpus()[0].model.replace(/\s+/g, ' ').trim());
  });

  it('puts a forced backend first and refuses one that cannot run here', async () => {
    expect((await inferenceChain('onnx-cpu'))[0]).toBe('onnx-cpu');
    expect((await inferenceChain('wasm'))[0]).toBe('wasm');
    const chain = await inferenceChain('auto');
    expect(chain).toContain('onnx-cpu');
    expect(new Set(chain).size).toBe(chain.length);
    const unavailable = probeBackends().find((b) => !b.available);
    if (unavailable) await expect(inferenceChain(unavailable.name)).rejects.toMatchObject({ code: 'E_BACKEND_UNAVAILABLE' });
    const { info } = await computeInfo('auto');
    expect(info.device).toMatch(/^(CPU|GPU)/);
    expect(info.available.length).toBe(probeBackends().length);
  });
});

describe('a backend that fails mid-job', () => {
  it('hands the job to the next backend with a notice, and the result is right', async () => {
    // A 1x1 "identity x 0.5" net: its Graph reads 4 channels from a 3-channel image, so ONNX
    // Runtime rejects it; the tfjs form is fine.
    const broken: Graph = {
      name: 'broken',
      input: 'x',
      inChannels: 3,
      nodes: [{ op: 'conv', out: 'y', input: 'x', weight: new Float32Array(3 * 4), weightShape: [3, 4, 1, 1], pad: 0 }],
      output: 'y',
      outChannels: 3,
      scale: 1,
      range: 1,
    };
    const spec: NetSpec = {
      scales: [1],
      range: 1,
      overlap: 4,
      margin: 1,
      bytesPerPixel: () => 100,
      graph: async () => broken,
      net: async () => (x) => tf.mul(x, 0.5) as tf.Tensor4D,
    };
    await ensureBackend('cpu');
    const img: FloatImage = { width: 8, height: 6, channels: 3, data: Float32Array.from({ length: 144 }, (_, i) => (i % 7) / 7) };
    const events: EngineEvent[] = [];
    const out = await upscaleWithNet(img, { scale: 1, backend: 'onnx-cpu', onEvent: (e) => events.push(e) }, spec, 'test net');
    for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBeCloseTo(img.data[i] * 0.5, 6);
    const notice = events.find((e) => /onnx-cpu failed .*continuing on/.test(e.message));
    expect(notice?.backend).toBeTruthy();
    expect(notice?.backend).not.toBe('onnx-cpu');
    expect(notice?.notice).toBe(true);
  });
});
