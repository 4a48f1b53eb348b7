// `npm run bench -- compute [--quick]`: every net's CPU inference time on ONNX Runtime against the
// same net in PyTorch (bench/torch_graph.py builds it from the same Graph), same tile, 2 threads
// each, measured alternating back to back; GFLOP/s of both; GPU rows where a GPU is present; the
// thick x2 "cliff" and grey-corner checks; and (full run) a 24 MP photo at x4 with the compact net.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloatImage } from '../src-main/contract/image';
import { probeCompute } from '../src-main/engine/compute-probe';
import type { ConvNetWeights } from '../src-main/engine/fast/convnet';
import type { Graph } from '../src-main/engine/graph/ir';
import { OrtNet, releaseOrtSessions, type OrtProvider } from '../src-main/engine/graph/ort-exec';
import { zssrGraph } from '../src-main/engine/graph/zssr-net';
import { esrganUpscaler, pretrainedGraph, pretrainedSpec } from '../src-main/engine/pretrained';
import { imageNet, initWeights, type ArchConfig } from '../src-main/engine/train/archs';
import { archGraph } from '../src-main/engine/train/graph';
import { PairedNormalRng } from '../src-main/engine/train/rng';
import { realesrganDir } from '../src-main/engine/models/builtin';
import { ncnnToGraph } from '../src-main/engine/models/ncnn';
import { compactGraphFromSafetensors, COMPACT_SAFETENSORS } from './compact-graph';
import { timedEnhance, type BenchContext } from './context';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const THREADS = 2;

/** Multiply-adds x 2 of every convolution for an h x w input. */
export function graphFlops(g: Graph, h: number, w: number): number {
  const size = new Map<string, number>([[g.input, 1]]); // linear scale of each value vs the input
  let flops = 0;
  for (const n of g.nodes) {
    const s = size.get('inputs' in n ? n.inputs[0] : n.input) ?? 1;
    let out = s;
    if (n.op === 'conv') {
      const [co, ci, kh, kw] = n.weightShape;
      const st = n.stride ?? 1;
      out = s / st;
      flops += 2 * (h * out) * (w * out) * co * ci * kh * kw;
    } else if (n.op === 'pixelShuffle' || n.op === 'upsampleNearest' || n.op === 'upsampleBilinear') out = s * n.factor;
    else if (n.op === 'pixelUnshuffle') out = s / n.factor;
    size.set(n.out, out);
  }
  return flops;
}

/** The Graph as JSON (weights as [offset, length] into one float32 file) for torch_graph.py. */
function dumpGraph(g: Graph, dir: string): { json: string; bin: string } {
  const parts: Float32Array[] = [];
  let at = 0;
  const ref = (a: Float32Array) => {
    parts.push(a);
    const r = [at, a.length];
    at += a.length;
    return r;
  };
  const nodes = g.nodes.map((n) => {
    if (n.op === 'conv') return { ...n, weight: ref(n.weight), ...(n.bias ? { bias: ref(n.bias) } : {}) };
    if (n.op === 'prelu') return { ...n, slope: ref(n.slope) };
    return n;
  });
  const json = path.join(dir, `${g.name}.json`);
  const bin = path.join(dir, `${g.name}.bin`);
  fs.writeFileSync(json, JSON.stringify({ ...g, nodes }));
  const all = new Float32Array(at);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  fs.writeFileSync(bin, all);
  return { json, bin };
}

function torchRun(d: { json: string; bin: string }, tile: number, runs: number, check?: { input: string; output: string }): { ms: number; torch: string } | string {
  const args = [path.join(HERE, 'torch_graph.py'), d.json, d.bin, '--tile', String(tile), '--threads', String(THREADS), '--runs', String(runs)];
  if (check) args.push('--check', check.input, check.output);
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 1800_000, env: { ...process.env, OMP_NUM_THREADS: String(THREADS) } });
  if (r.status !== 0) return `PyTorch failed: ${(r.stderr || String(r.error)).trim().split('\n').at(-1)}`;
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ms_min: number; torch: string };
  return { ms: j.ms_min, torch: j.torch };
}

async function oursRun(net: OrtNet, x: Float32Array, tile: number, runs: number): Promise<number> {
  await net.run(x, tile, tile); // warm-up
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await net.run(x, tile, tile);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

function input(c: number, tile: number, range: number): Float32Array {
  return Float32Array.from({ length: c * tile * tile }, (_, i) => ((Math.sin(i * 0.61) + 1) / 2) * range);
}

interface NetCase {
  id: string;
  what: string;
  graph: () => Promise<Graph>;
  tile: number;
}

function userGraph(cfg: ArchConfig): Graph {
  const def = imageNet(cfg);
  const w = initWeights(def.params, new PairedNormalRng(1));
  return archGraph(cfg, new Map([...w].map(([k, v]) => [k, { data: v, shape: def.params.find((p) => p.name === k)?.shape ?? [] }])), `user-${cfg.arch}-x${cfg.scale}`);
}

function zssrNet(): Graph {
  // The paper's net: 8 layers of 64 channels (weights drawn as ZSSR initialises them).
  const shape = { depth: 8, width: 64, kernel: 3 };
  const rng = new PairedNormalRng(2);
  const w: ConvNetWeights = { kernels: [], biases: [] };
  for (let l = 0; l < shape.depth; l++) {
    const ci = l === 0 ? 3 : 64;
    const co = l === shape.depth - 1 ? 3 : 64;
    w.kernels.push(Float32Array.from({ length: 9 * ci * co }, () => rng.normal() * Math.sqrt(0.1 / (9 * ci))));
    w.biases.push(new Float32Array(co));
  }
  return zssrGraph(w, shape);
}

/** Whether the built-in Real-ESRGAN model files are installed. */
function haveBuiltin(): boolean {
  try {
    realesrganDir();
    return true;
  } catch {
    return false;
  }
}

function cases(quick: boolean): NetCase[] {
  const t = (full: number) => (quick ? Math.min(full, 48) : full);
  const list: NetCase[] = [
    { id: 'esrgan-slim x4', what: 'RDN 2 blocks (tfjs layers model)', graph: () => pretrainedGraph(pretrainedSpec('esrgan-slim'), 4), tile: t(128) },
    { id: 'esrgan-medium x4', what: 'RDN 10 blocks', graph: () => pretrainedGraph(pretrainedSpec('esrgan-medium'), 4), tile: t(128) },
    { id: 'esrgan-thick x4', what: 'RRDN 10 RRDBs', graph: () => pretrainedGraph(pretrainedSpec('esrgan-thick'), 4), tile: t(64) },
    { id: 'zssr (8x64)', what: "ZSSR's net at output size", graph: async () => zssrNet(), tile: t(128) },
    { id: 'user cnn x2 (8x64)', what: 'studio train --arch cnn', graph: async () => userGraph({ arch: 'cnn', scale: 2, width: 64, depth: 8 }), tile: t(128) },
    { id: 'user residual x2 (8x64)', what: 'studio train --arch residual (output size)', graph: async () => userGraph({ arch: 'residual', scale: 2, width: 64, depth: 8 }), tile: t(128) },
    { id: 'user gan x4 (8x64)', what: 'studio train --arch gan', graph: async () => userGraph({ arch: 'gan', scale: 4, width: 64, depth: 8 }), tile: t(64) },
  ];
  const ncnn = (file: string) => async () => {
    const dir = realesrganDir();
    return ncnnToGraph(fs.readFileSync(path.join(dir, `${file}.param`), 'utf8'), fs.readFileSync(path.join(dir, `${file}.bin`)), file);
  };
  const builtin = haveBuiltin();
  if (builtin) {
    list.push({ id: 'Real-ESRGAN x4plus', what: 'RRDBNet 23 blocks (ncnn files)', graph: ncnn('realesrgan-x4plus'), tile: t(64) });
    list.push({ id: 'Real-ESRGAN compact x4', what: 'SRVGGNetCompact (ncnn files)', graph: ncnn('realesrgan-x4fast'), tile: t(128) });
  } else if (fs.existsSync(COMPACT_SAFETENSORS)) {
    list.push({ id: 'Real-ESRGAN compact x4', what: 'SRVGGNetCompact (bench-built from the .safetensors)', graph: async () => compactGraphFromSafetensors(), tile: t(128) });
  }
  return list;
}

const load1 = () => os.loadavg()[0].toFixed(1);
const gf = (flops: number, ms: number) => (flops / (ms * 1e6)).toFixed(1);

async function cpuRows(ctx: BenchContext): Promise<string[]> {
  const rounds = ctx.quick ? 2 : 3;
  const runs = ctx.quick ? 2 : 5;
  const rows: string[] = [
    '| net | tile | ONNX Runtime ms | PyTorch ms | ratio (ours / PyTorch) | ONNX Runtime GFLOP/s | PyTorch GFLOP/s | same output | load (1 min) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cases(ctx.quick)) {
    ctx.log(`compute: ${c.id} at tile ${c.tile}`);
    const g = await c.graph();
    const d = dumpGraph(g, ctx.tmpDir);
    const x = input(g.inChannels, c.tile, g.range);
    const net = await OrtNet.create(g, 'cpu', THREADS);
    const loadBefore = load1();
    try {
      // Same input through both: the outputs must agree (so the times are of the same net).
      const inFile = path.join(ctx.tmpDir, 'in.bin');
      const outFile = path.join(ctx.tmpDir, 'out.bin');
      fs.writeFileSync(inFile, x);
      const first = torchRun(d, c.tile, 1, { input: inFile, output: outFile });
      if (typeof first === 'string') {
        rows.push(`| ${c.id} | ${c.tile} | | | ${first} | | | | ${loadBefore} |`);
        continue;
      }
      const ref = new Float32Array(fs.readFileSync(outFile).buffer.slice(0));
      const y = (await net.run(x, c.tile, c.tile)).data;
      let diff = 0;
      for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i] - ref[i]));
      diff /= g.range;
      let ours = Infinity;
      let theirs = Infinity;
      let torchVersion = '';
      for (let r = 0; r < rounds; r++) {
        ours = Math.min(ours, await oursRun(net, x, c.tile, runs));
        const t = torchRun(d, c.tile, runs);
        if (typeof t !== 'string') {
          theirs = Math.min(theirs, t.ms);
          torchVersion = t.torch;
        }
      }
      const flops = graphFlops(g, c.tile, c.tile);
      rows.push(
        `| ${c.id} | ${c.tile} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | **${(ours / theirs).toFixed(2)}** | ${gf(flops, ours)} | ${gf(flops, theirs)} | ${diff <= 1e-3 ? 'yes' : 'NO'} (${diff.toExponential(1)}) | ${loadBefore}–${load1()} |`,
      );
      ctx.log(`compute: ${c.id}: ours ${ours.toFixed(1)} ms, torch ${torchVersion} ${theirs.toFixed(1)} ms`);
    } finally {
      await net.release();
    }
  }
  return rows;
}

async function gpuRows(ctx: BenchContext): Promise<string[]> {
  const report = await probeCompute();
  const gpuBackends: [string, OrtProvider][] = (
    [
      ['onnx-webgpu', 'webgpu'],
      ['onnx-directml', 'dml'],
      ['onnx-coreml', 'coreml'],
    ] as [string, OrtProvider][]
  ).filter(([n]) => report.backends.some((b) => b.name === n && b.available));
  if (!gpuBackends.length) return [`No GPU backend runs here (${report.gpuError ?? 'no adapter'}).`];
  const device = report.gpu ? `${report.gpu.name}${report.gpu.software ? ' — a software adapter (Mesa llvmpipe on the same CPU cores): it shows the path works, not GPU speed' : ''}` : 'GPU';
  const rows = [`GPU: ${device}.`, '', '| net | backend | tile | GPU ms | CPU ms (onnx-cpu, same tile) | GPU GFLOP/s | same output as CPU |', '|---|---|---|---|---|---|---|'];
  const tile = ctx.quick || report.gpu?.software ? 32 : 128;
  for (const c of cases(true)) {
    const g = await c.graph();
    const x = input(g.inChannels, tile, g.range);
    for (const [name, provider] of gpuBackends) {
      ctx.log(`compute: ${c.id} on ${name}`);
      const [gpu, cpu] = [await OrtNet.create(g, provider), await OrtNet.create(g, 'cpu', THREADS)];
      try {
        const a = (await gpu.run(x, tile, tile)).data;
        const b = (await cpu.run(x, tile, tile)).data;
        let diff = 0;
        for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
        diff /= g.range;
        const msG = await oursRun(gpu, x, tile, 2);
        const msC = await oursRun(cpu, x, tile, 2);
        rows.push(`| ${c.id} | ${name} | ${tile} | ${msG.toFixed(0)} | ${msC.toFixed(0)} | ${gf(graphFlops(g, tile, tile), msG)} | ${diff <= 1e-3 ? 'yes' : 'NO'} (${diff.toExponential(1)}) |`);
      } finally {
        await Promise.all([gpu.release(), cpu.release()]);
      }
    }
  }
  return rows;
}

/** A greyscale photo stored as RGB: gradient + discs. */
function greyScene(w: number, h: number): FloatImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = 0.15 + (0.7 * (x + y)) / (w + h);
      if (((x - w / 3) ** 2 + (y - h / 2) ** 2) ** 0.5 < h / 5) v = 0.9;
      data.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  return { width: w, height: h, channels: 3, data };
}

async function cliffRows(ctx: BenchContext): Promise<string[]> {
  const [w, h1, h2] = ctx.quick ? [256, 170, 192] : [1024, 680, 768];
  const up = esrganUpscaler(pretrainedSpec('esrgan-thick'));
  const rows = ['| photo | seconds | tiles | max chroma in the output (8-bit levels; grey in) | load (1 min) |', '|---|---|---|---|---|'];
  const secs: number[] = [];
  for (const h of [h1, h2]) {
    const img = greyScene(w, h);
    let tiles = 0;
    const l0 = load1();
    const t0 = performance.now();
    const out = await up.upscale(img, { scale: 2, backend: 'onnx-cpu', onProgress: (p) => (tiles = p.total ?? tiles) });
    const s = (performance.now() - t0) / 1000;
    secs.push(s);
    let chroma = 0;
    for (let i = 0; i < out.data.length; i += 3) chroma = Math.max(chroma, Math.abs(out.data[i] - out.data[i + 1]) * 255, Math.abs(out.data[i + 1] - out.data[i + 2]) * 255);
    rows.push(`| ${w}×${h} | ${s.toFixed(1)} | ${tiles} | ${chroma.toFixed(1)} | ${l0}–${load1()} |`);
  }
  rows.push('', `Time ratio ${(secs[1] / secs[0]).toFixed(2)} for ${((w * h2) / (w * h1)).toFixed(2)}× the pixels (before: 2.2× on tfjs-wasm).`);
  return rows;
}

/**
 * A 24 MP photo at x4 with the compact net: through `studio enhance --method realesrgan-fast`
 * (GNU time's peak RSS of the worker) where the method exists, else through the studio's tiled
 * runner with a bench-built Graph (bench/compute-big.ts) under GNU time -v, and it says so.
 */
function bigRow(ctx: BenchContext): string[] {
  if (!fs.existsSync('/usr/bin/time')) return ['24 MP at x4: not measured (/usr/bin/time missing).'];
  const photo = path.join(ctx.tmpDir, 'photo-24mp.png');
  const run = (args: string[]) => spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', path.join(HERE, 'compute-big.ts'), ...args], { encoding: 'utf8', timeout: 4 * 3600_000, maxBuffer: 1 << 24 });
  const builtin = haveBuiltin();
  if (builtin) {
    const made = run([photo, '--make-only']);
    if (made.status !== 0) return [`24 MP at x4: the test photo could not be made (${made.stderr.trim().split('\n').at(-1)})`];
    const outDir = path.join(ctx.tmpDir, 'big-out');
    fs.mkdirSync(outDir, { recursive: true });
    const l0 = load1();
    const r = timedEnhance(photo, ['--method', 'realesrgan-fast', '--scale', '4', '--format', 'jpeg', '--backend', 'onnx-cpu'], outDir, path.join(ctx.tmpDir, 'big-data'));
    if (typeof r === 'string') return [`24 MP at x4 through studio enhance: ${r}`];
    return [`\`studio enhance photo-24mp.png --method realesrgan-fast --scale 4 --format jpeg\` (6000×4000 in, 24000×16000 out): wall **${(r.seconds / 60).toFixed(1)} min**, peak RSS **${(r.peakRssMiB / 1024).toFixed(2)} GiB** (GNU time, the worker; load ${l0}–${load1()}).`];
  }
  if (!fs.existsSync(COMPACT_SAFETENSORS)) return ['24 MP at x4: not measured (neither the Real-ESRGAN methods nor the compact net file are here).'];
  const out = path.join(ctx.tmpDir, 'photo-24mp-x4.jpg');
  const r = run([photo, out]);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.+)/.exec(r.stderr)?.[1]?.trim();
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const said = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0) return [`24 MP at x4: failed (${(r.stderr || '').trim().split('\n').filter((l) => !/^\s/.test(l)).at(-1) ?? r.status})`];
  return [`24 MP photo (6000×4000) at x4 with the compact net through the studio's tiled runner and a bench-built Graph (the Real-ESRGAN methods are not on this branch), 8-bit JPEG out (${said}): wall **${wall}**, peak RSS **${(rss / 1024 / 1024).toFixed(2)} GiB** (/usr/bin/time -v; load ${load1()}).`];
}

export async function run(ctx: BenchContext): Promise<string> {
  const out: string[] = [
    '## Compute: every net on all cores, against PyTorch',
    '',
    `Measured ${ctx.date} on ${ctx.machine}${ctx.quick ? ' (--quick: small tiles, fewer runs)' : ''}. ONNX Runtime (onnxruntime-node, CPU provider, ${THREADS} threads) runs the studio's Graph of each net; PyTorch (Debian python3-torch, ${THREADS} threads) runs the same Graph built by bench/torch_graph.py, on the same tile. Each side: best of several forward passes, the two sides alternated ${ctx.quick ? 2 : 3} times back to back; the columns are the best of each. Ratio < 1: faster than PyTorch. GFLOP/s counts the convolutions' multiply-adds (×2). The machine is shared while measuring: the load column says how much.`,
    '',
    ...(await cpuRows(ctx)),
    '',
    '### GPU (WebGPU / DirectML / CoreML through ONNX Runtime)',
    '',
    ...(await gpuRows(ctx)),
    '',
    '### esrgan-thick x2: work follows the pixels; grey in, grey out',
    '',
    ...(await cliffRows(ctx)),
  ];
  if (!ctx.quick) out.push('', '### A 24 MP photo at x4', '', ...bigRow(ctx));
  await releaseOrtSessions();
  return out.join('\n');
}
