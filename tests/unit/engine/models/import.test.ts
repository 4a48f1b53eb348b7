import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../../src-main/contract/errors';
import { ensureBackend } from '../../../../src-main/engine/backend';
import type { Graph } from '../../../../src-main/engine/graph/ir';
import { realesrganDir } from '../../../../src-main/engine/models/builtin';
import { detectArch } from '../../../../src-main/engine/models/detect';
import { importModel, readModelFile, removeImportedModel, syncImportedModels } from '../../../../src-main/engine/models/imported';
import { ncnnToGraph } from '../../../../src-main/engine/models/ncnn';
import { readSafetensors } from '../../../../src-main/engine/models/safetensors';
import { getUpscaler, listModels } from '../../../../src-main/engine/registry';
import { EVIL_PICKLE, legacyCheckpoint, safetensors, zip } from './files';
import { readPth } from '../../../../src-main/engine/models/pth';
import { HAVE_SHARED_MODELS, loadRgb, psnr8, shared } from './shared-models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'models-import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, bytes: Uint8Array | string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, bytes);
  return f;
};
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof StudioError ? err.code : `uncoded: ${(err as Error).message}`;
  }
  return 'no error';
}
const builtinGraph = (file: string) => ncnnToGraph(fs.readFileSync(path.join(realesrganDir(), `${file}.param`), 'utf8'), fs.readFileSync(path.join(realesrganDir(), `${file}.bin`)), file);

/**
 * The first difference between two nets (value names aside), or undefined when they have the
 * same ops, attributes and weights in the same order: then they give the same pixels on any
 * runtime. `biasTol`: relative difference allowed in biases (fp16 checkpoints round them).
 */
function netDiff(a: Graph, b: Graph, biasTol = 0): string | undefined {
  if (a.scale !== b.scale || a.nodes.length !== b.nodes.length) return `x${a.scale}, ${a.nodes.length} nodes vs x${b.scale}, ${b.nodes.length}`;
  const index = (g: Graph) => new Map<string, number>([[g.input, -1], ...g.nodes.map((n, i): [string, number] => [n.out, i])]);
  const ia = index(a);
  const ib = index(b);
  const arr = (x: unknown): x is Float32Array => x instanceof Float32Array;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i] as unknown as Record<string, unknown>;
    const y = b.nodes[i] as unknown as Record<string, unknown>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (k === 'out') continue;
      const u = x[k];
      const v = y[k];
      if (k === 'input') {
        if (ia.get(u as string) !== ib.get(v as string)) return `node ${i}: input`;
      } else if (k === 'inputs') {
        const su = (u as string[]).map((id) => ia.get(id)).sort().join();
        if (su !== (v as string[]).map((id) => ib.get(id)).sort().join()) return `node ${i}: inputs`;
      } else if (arr(u) && arr(v)) {
        if (u.length !== v.length) return `node ${i}: ${k} length`;
        const tol = k === 'bias' ? biasTol : 0;
        for (let e = 0; e < u.length; e++) if (Math.abs(u[e] - v[e]) > tol * Math.max(Math.abs(v[e]), 2 ** -14)) return `node ${i}: ${k}[${e}] ${u[e]} vs ${v[e]}`;
      } else if (JSON.stringify(u) !== JSON.stringify(v)) return `node ${i}: ${k} ${JSON.stringify(u)} vs ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}
const sameNet = (a: Graph, b: Graph) => expect(netDiff(a, b)).toBeUndefined();

/** A small RRDBNet state dict in either layout (weights 0.01 * pattern). */
function tinyRrdb(layout: 'new' | 'old', o: { nf: number; nb: number; gc: number; inC: number; ups: number }): Record<string, { shape: number[]; data: Float32Array }> {
  const t: Record<string, { shape: number[]; data: Float32Array }> = {};
  let seed = 1;
  const conv = (key: string, out: number, inn: number) => {
    const n = out * inn * 9;
    t[`${key}.weight`] = { shape: [out, inn, 3, 3], data: Float32Array.from({ length: n }, () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 0.1) };
    t[`${key}.bias`] = { shape: [out], data: new Float32Array(out).fill(0.01) };
  };
  const N = layout === 'new';
  conv(N ? 'conv_first' : 'model.0', o.nf, o.inC);
  for (let b = 0; b < o.nb; b++)
    for (let r = 1; r <= 3; r++)
      for (let c = 1; c <= 5; c++) conv(N ? `body.${b}.rdb${r}.conv${c}` : `model.1.sub.${b}.RDB${r}.conv${c}.0`, c === 5 ? o.nf : o.gc, o.nf + (c - 1) * o.gc);
  conv(N ? 'conv_body' : `model.1.sub.${o.nb}`, o.nf, o.nf);
  let idx = 3;
  for (let u = 1; u <= o.ups; u++, idx += 3) conv(N ? `conv_up${u}` : `model.${idx}`, o.nf, o.nf);
  conv(N ? 'conv_hr' : `model.${idx - 1 + (o.ups ? 0 : 0)}`, o.nf, o.nf);
  conv(N ? 'conv_last' : `model.${idx + 1}`, 3, o.nf);
  return t;
}

describe('architecture detection', () => {
  it('RRDBNet in both layouts, any nf/nb/gc, pixel-unshuffle x1/x2, x4 and x8', () => {
    const cases = [
      { inC: 3, ups: 2, scale: 4, multiple: 1 },
      { inC: 12, ups: 2, scale: 2, multiple: 2 },
      { inC: 48, ups: 2, scale: 1, multiple: 4 },
      { inC: 3, ups: 3, scale: 8, multiple: 1 },
    ];
    for (const c of cases) {
      const graphs = (['new', 'old'] as const).map((layout) => {
        const sd = readSafetensors(safetensors(tinyRrdb(layout, { nf: 8, nb: 2, gc: 4, ...c })));
        const { graph, info } = detectArch(sd);
        expect(info.arch).toBe('RRDBNet');
        expect(info.params).toEqual({ nf: 8, nb: 2, gc: 4 });
        expect(graph.scale).toBe(c.scale);
        expect(graph.sizeMultiple ?? 1).toBe(c.multiple);
        return graph;
      });
      sameNet(graphs[0], graphs[1]);
    }
  });

  it('SRVGGNetCompact of any depth, width and scale', () => {
    const t: Record<string, { shape: number[]; data: Float32Array }> = {};
    const convs = [
      [16, 3],
      [16, 16],
      [16, 16],
      [3 * 9, 16],
    ];
    convs.forEach(([o, i], k) => {
      t[`body.${2 * k}.weight`] = { shape: [o, i, 3, 3], data: new Float32Array(o * i * 9).fill(0.001) };
      t[`body.${2 * k}.bias`] = { shape: [o], data: new Float32Array(o) };
      if (k < convs.length - 1) t[`body.${2 * k + 1}.weight`] = { shape: [o], data: new Float32Array(o).fill(0.25) };
    });
    const { graph, info } = detectArch(readSafetensors(safetensors(t)));
    expect(info).toMatchObject({ arch: 'SRVGGNetCompact', scale: 3, params: { nf: 16, convs: 2 } });
    expect(graph.scale).toBe(3);
  });

  it('reads old (torch < 1.6) checkpoints: the same net as from .safetensors', () => {
    const t = tinyRrdb('new', { nf: 4, nb: 1, gc: 2, inC: 3, ups: 2 });
    const a = detectArch(readPth(legacyCheckpoint(t))).graph;
    const b = detectArch(readSafetensors(safetensors(t))).graph;
    expect(netDiff(a, b)).toBeUndefined();
    expect(() => readPth(legacyCheckpoint(t).subarray(0, 900))).toThrow(/truncated|ends early/);
  });

  it('runs a pixel-unshuffle x2 net on odd sizes (edge mirrored to a multiple, then cropped)', async () => {
    await ensureBackend('wasm');
    const dir = path.join(tmp, 'data-x2');
    const f = write('tiny-x2.safetensors', safetensors(tinyRrdb('new', { nf: 8, nb: 1, gc: 4, inC: 12, ups: 2 })));
    await importModel(dir, f, { name: 'tiny-x2' });
    await syncImportedModels(dir);
    const out = await getUpscaler('user:tiny-x2').upscale({ width: 13, height: 9, channels: 3, data: new Float32Array(13 * 9 * 3).fill(0.4) }, { scale: 2 });
    expect([out.width, out.height]).toEqual([26, 18]);
    expect(out.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('imports refuse what is not a model, and change nothing', () => {
  const dir = path.join(tmp, 'data-bad');
  const cases: [string, () => string, string][] = [
    ['a random file', () => write('random.pth', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)), 'E_MODEL_INVALID'],
    ['a text file with no known extension', () => write('notes.txt', 'hello'), 'E_MODEL_INVALID'],
    ['a pickle that runs os.system (legacy checkpoint)', () => write('evil.pth', EVIL_PICKLE), 'E_MODEL_UNSAFE'],
    ['a zip checkpoint whose data.pkl runs os.system', () => write('evil-zip.pth', zip({ 'archive/data.pkl': EVIL_PICKLE, 'archive/version': new TextEncoder().encode('3\n') })), 'E_MODEL_UNSAFE'],
    ['an unknown architecture', () => write('unknown.safetensors', safetensors({ 'encoder.layer1.weight': { shape: [4, 3, 3, 3], data: new Float32Array(108) } })), 'E_MODEL_UNSUPPORTED'],
    ['a truncated safetensors file', () => write('cut.safetensors', safetensors({ 'a.weight': { shape: [64, 3, 3, 3], data: new Float32Array(1728) } }).subarray(0, 500)), 'E_MODEL_INVALID'],
    ['an ncnn .param without its .bin', () => write('lonely.param', '7767517\n1 1\nInput in 0 1 data\n'), 'E_FILE_NOT_FOUND'],
    ['a missing file', () => path.join(tmp, 'nope.pth'), 'E_FILE_NOT_FOUND'],
  ];
  for (const [what, make, code] of cases) {
    it(`${what}: ${code}`, async () => {
      expect(await codeOf(importModel(dir, make()))).toBe(code);
      expect(fs.existsSync(path.join(dir, 'models')) ? fs.readdirSync(path.join(dir, 'models')) : []).toEqual([]);
    });
  }

  it('a name that is taken or not a name', async () => {
    const f = write('ok.safetensors', safetensors(tinyRrdb('new', { nf: 4, nb: 1, gc: 2, inC: 3, ups: 2 })));
    await importModel(dir, f, { name: 'taken' });
    expect(await codeOf(importModel(dir, f, { name: 'taken' }))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(importModel(dir, f, { name: '../escape' }))).toBe('E_INVALID_ARGUMENT');
    expect(fs.readdirSync(path.join(dir, 'models'))).toEqual(['taken']);
  });
});

describe.skipIf(!HAVE_SHARED_MODELS)('the Real-ESRGAN files people download', () => {
  it('x4plus .pth in both layouts is the built-in net (same ops and weights; biases rounded to fp16 in the .pth)', async () => {
    const builtin = builtinGraph('realesrgan-x4plus');
    const graphs = [];
    for (const f of ['realesrgan-x4plus.pth', 'realesrgan-x4plus-old-layout.pth']) {
      const read = await readModelFile(shared(f));
      expect(read.arch).toBe('RRDBNet');
      expect(read.archParams).toEqual({ nf: 64, nb: 23, gc: 32 });
      graphs.push(read.graph);
      expect(netDiff(read.graph, builtin)).toMatch(/bias/); // the ncnn file keeps fp32 biases...
      expect(netDiff(read.graph, builtin, 2 ** -11)).toBeUndefined(); // ...the .pth rounds them to fp16
    }
    sameNet(graphs[0], graphs[1]); // the two layouts are exactly the same net
  });

  it('compact .pth / .safetensors / .onnx are the built-in fast net, and match the reference', async () => {
    const builtin = builtinGraph('realesrgan-x4fast');
    for (const f of ['realesr-compact-x4.pth', 'realesr-compact-x4.safetensors', 'realesr-compact-x4.onnx']) {
      const read = await readModelFile(shared(f));
      sameNet(read.graph, builtin);
    }
    const dir = path.join(tmp, 'data-compact');
    const meta = await importModel(dir, shared('realesr-compact-x4.onnx'), { name: 'compact', license: 'BSD-3-Clause\nsome text' });
    expect(meta).toMatchObject({ arch: 'ONNX graph', scale: 4, format: 'onnx', license: 'BSD-3-Clause\nsome text' });
    expect(meta.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    await syncImportedModels(dir);
    const input = await loadRgb(shared('reference', 'input-96.png'));
    const out = await getUpscaler('user:compact').upscale(input, { scale: 4 });
    expect(psnr8(out, await loadRgb(shared('reference', 'compact-x4.png')))).toBeGreaterThanOrEqual(45);
  });

  it('an imported x4plus gives the built-in pixels; it is listed, then removed', { timeout: 120_000 }, async () => {
    await ensureBackend('wasm');
    const dir = path.join(tmp, 'data-plus');
    await importModel(dir, shared('realesrgan-x4plus-old-layout.pth'), { name: 'plus-old' });
    await syncImportedModels(dir);
    const m = listModels().find((x) => x.id === 'user:plus-old');
    expect(m).toMatchObject({ family: 'imported', scales: [2, 3, 4, 8] });
    const input = await loadRgb(shared('reference', 'input-96.png'));
    const crop = { width: 20, height: 16, channels: 3 as const, data: new Float32Array(20 * 16 * 3) };
    for (let y = 0; y < 16; y++) crop.data.set(input.data.subarray((y + 30) * 96 * 3 + 90, (y + 30) * 96 * 3 + 90 + 60), y * 60);
    const a = await getUpscaler('user:plus-old').upscaleToSamples!(crop, { scale: 4 }, 8);
    const b = await getUpscaler('realesrgan').upscaleToSamples!(crop, { scale: 4 }, 8);
    // The same 8-bit pixels, but where fp16-rounded biases tip a value across a rounding edge.
    let same = 0;
    let worst = 0;
    a!.data.forEach((v, i) => {
      if (v === b!.data[i]) same++;
      worst = Math.max(worst, Math.abs(v - b!.data[i]));
    });
    expect(worst).toBeLessThanOrEqual(1);
    expect(same / a!.data.length).toBeGreaterThan(0.97);
    expect(await removeImportedModel(dir, 'plus-old')).toBe(true);
    expect(listModels().some((x) => x.id === 'user:plus-old')).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'models'))).toEqual([]);
    expect(await removeImportedModel(dir, 'plus-old')).toBe(false);
  });
});
