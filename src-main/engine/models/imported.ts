// Models people bring (.pth / .pt / .ckpt, .safetensors, .onnx, ncnn .param + .bin): read,
// recognised, checked, and kept under <dataDir>/models/<name>/ as a graph (graph.json +
// weights.bin) with their metadata (imported.json). Served as 'user:<name>' methods of the
// 'imported' family. An import that fails writes nothing.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ModelInfo } from '../../contract/api';
import { StudioError } from '../../contract/errors';
import type { Graph } from '../graph/ir';
import { paramCount } from '../graph/ir';
import { deserializeGraph, serializeGraph } from '../graph/serialize';
import { peakActivationBytes } from '../graph/shapes';
import { netUpscaler } from '../pretrained/net-runner';
import { registerUpscaler, unregisterUpscaler } from '../registry';
import { MODEL_NAME, modelsRoot } from '../train/user-models';
import type { Upscaler } from '../upscaler';
import { REALESRGAN_PREPAD } from './builtin';
import { detectArch } from './detect';
import { graphNetSpec } from './graph-net';
import { ncnnToGraph } from './ncnn';
import { onnxToGraph } from './onnx-read';
import { readPth } from './pth';
import { readSafetensors } from './safetensors';

export const IMPORTED_META = 'imported.json';
const MAX_BYTES = 2 ** 31 - 1;

export const ImportedMeta = z.object({
  kind: z.literal('loupe-studio-imported-model'),
  version: z.literal(1),
  name: z.string().regex(MODEL_NAME),
  /** RRDBNet, SRVGGNetCompact, or the container's own net ('ONNX graph', 'ncnn graph'). */
  arch: z.string().max(80),
  layout: z.string().max(200),
  archParams: z.record(z.string(), z.number()),
  scale: z.number().positive().max(16),
  params: z.number().int().nonnegative(),
  /** Bytes of the stored weights. */
  sizeBytes: z.number().int().nonnegative(),
  /** Peak activation bytes per input pixel (tile size). */
  bytesPerPixel: z.number().positive(),
  format: z.enum(['pth', 'safetensors', 'onnx', 'ncnn']),
  sourceFile: z.string().max(1000),
  sourceSha256: z.string().regex(/^[0-9a-f]{64}$/),
  license: z.string().max(100_000).optional(),
  importedAt: z.string(),
});
export type ImportedMeta = z.infer<typeof ImportedMeta>;

export interface ImportOptions {
  name?: string;
  /** Licence text to keep with the model. */
  license?: string;
}

type Format = ImportedMeta['format'];

function formatOf(file: string, head: Uint8Array): Format {
  const ext = path.extname(file).toLowerCase();
  if (['.pth', '.pt', '.ckpt'].includes(ext)) return 'pth';
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.onnx') return 'onnx';
  if (ext === '.param' || ext === '.bin') return 'ncnn';
  // No telling extension: look at the bytes.
  if ((head[0] === 0x50 && head[1] === 0x4b) || head[0] === 0x80) return 'pth';
  if (new TextDecoder().decode(head.subarray(0, 8)).startsWith('7767517')) return 'ncnn';
  if (head.length >= 9 && head[8] === 0x7b) return 'safetensors';
  throw new StudioError('E_MODEL_INVALID', `${path.basename(file)} is not a model file the studio knows (.pth, .pt, .ckpt, .safetensors, .onnx, or ncnn .param + .bin)`);
}

async function readAll(file: string): Promise<Buffer> {
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    throw new StudioError('E_FILE_NOT_FOUND', `no such file: ${file}`, { path: file });
  }
  if (!st.isFile()) throw new StudioError('E_INVALID_ARGUMENT', `${file} is not a file`, { path: file });
  if (st.size === 0) throw new StudioError('E_EMPTY_FILE', `${file} is empty`, { path: file });
  if (st.size > MAX_BYTES) throw new StudioError('E_FILE_TOO_LARGE', `${file} is larger than 2 GB`, { path: file });
  return fs.readFile(file);
}

/** The .param and .bin of an ncnn model, given either one. */
async function ncnnPair(file: string): Promise<{ param: string; bin: string }> {
  const base = file.replace(/\.(param|bin)$/i, '');
  const param = `${base}.param`;
  const bin = `${base}.bin`;
  for (const f of [param, bin]) {
    if (!(await fs.stat(f).catch(() => undefined))) throw new StudioError('E_FILE_NOT_FOUND', `an ncnn model needs both ${path.basename(param)} and ${path.basename(bin)} in the same folder; ${path.basename(f)} is missing`, { path: f });
  }
  return { param, bin };
}

export interface ReadModel {
  graph: Graph;
  arch: string;
  layout: string;
  archParams: Record<string, number>;
  format: Format;
  /** sha256 of the file (ncnn: of .param then .bin). */
  sha256: string;
}

/** Read and recognise a model file without storing anything. */
export async function readModelFile(file: string): Promise<ReadModel> {
  const bytes = await readAll(file);
  const format = formatOf(file, bytes.subarray(0, 16));
  const hash = createHash('sha256');
  const label = path.basename(file).replace(/\.[^.]+$/, '');
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StudioError) throw err;
      throw new StudioError('E_MODEL_INVALID', `${path.basename(file)} could not be read: ${(err as Error).message}`);
    }
  };
  if (format === 'ncnn') {
    const pair = await ncnnPair(file);
    const param = await readAll(pair.param);
    const bin = await readAll(pair.bin);
    hash.update(param).update(bin);
    const graph = wrap(() => ncnnToGraph(param.toString('utf8'), bin, label));
    return { graph, arch: 'ncnn graph', layout: `${graph.nodes.length} layers`, archParams: {}, format, sha256: hash.digest('hex') };
  }
  hash.update(bytes);
  const sha256 = hash.digest('hex');
  if (format === 'onnx') {
    const graph = wrap(() => onnxToGraph(bytes, label));
    return { graph, arch: 'ONNX graph', layout: `${graph.nodes.length} nodes`, archParams: {}, format, sha256 };
  }
  const sd = wrap(() => (format === 'pth' ? readPth(bytes) : readSafetensors(bytes)));
  const { graph, info } = detectArch(sd);
  return { graph: { ...graph, name: label }, arch: info.arch, layout: info.layout, archParams: info.params, format, sha256 };
}

function checkRunnable(g: Graph): void {
  if (g.inChannels !== 3 || g.outChannels !== 3) throw new StudioError('E_MODEL_UNSUPPORTED', `the net takes ${g.inChannels} and makes ${g.outChannels} channels; only RGB-to-RGB image nets are supported`);
  if (!Number.isInteger(g.scale) || g.scale < 1 || g.scale > 16) throw new StudioError('E_MODEL_UNSUPPORTED', `the net enlarges by x${g.scale}; only whole scales from x1 to x16 are supported`);
}

/** A free default name from the file name. */
function nameFrom(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.[^.]+$/, '')
    .replace(/[^a-z0-9._-]+/gi, '-')
    .replace(/^[^a-z0-9]+/i, '')
    .slice(0, 63);
  return base || 'model';
}

async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Import a model file into <dataDir>/models/<name>/. Everything is read and checked first; the
 * folder is written under a temporary name and renamed into place, so a failed import leaves
 * nothing behind and an existing model of that name is never replaced.
 */
export async function importModel(dataDir: string, file: string, opts: ImportOptions = {}): Promise<ImportedMeta> {
  const name = opts.name ?? nameFrom(file);
  if (!MODEL_NAME.test(name)) throw new StudioError('E_INVALID_ARGUMENT', `model name '${name}' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  const root = modelsRoot(dataDir);
  const dir = path.join(root, name);
  const taken = () => new StudioError('E_INVALID_ARGUMENT', `a model named '${name}' exists already; choose another name (--name) or remove it first (studio models rm ${name})`);
  if (await fs.stat(dir).catch(() => undefined)) throw taken();
  const read = await readModelFile(path.resolve(file));
  checkRunnable(read.graph);
  const { json, data } = serializeGraph(read.graph);
  const meta: ImportedMeta = {
    kind: 'loupe-studio-imported-model',
    version: 1,
    name,
    arch: read.arch,
    layout: read.layout,
    archParams: read.archParams,
    scale: read.graph.scale,
    params: paramCount(read.graph),
    sizeBytes: data.byteLength,
    bytesPerPixel: peakActivationBytes(read.graph),
    format: read.format,
    sourceFile: path.basename(file),
    sourceSha256: read.sha256,
    ...(opts.license?.trim() ? { license: opts.license.trim() } : {}),
    importedAt: new Date().toISOString(),
  };
  await fs.mkdir(root, { recursive: true });
  const tmp = path.join(root, `.import-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    await writeDurable(path.join(tmp, 'weights.bin'), data);
    await writeDurable(path.join(tmp, 'graph.json'), JSON.stringify(json));
    await writeDurable(path.join(tmp, IMPORTED_META), JSON.stringify(meta, null, 2));
    if (await fs.stat(dir).catch(() => undefined)) throw taken();
    await fs.rename(tmp, dir);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return meta;
}

async function readMeta(dir: string): Promise<ImportedMeta> {
  const file = path.join(dir, IMPORTED_META);
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new StudioError('E_MODEL_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`, { path: file });
  }
  const parsed = ImportedMeta.safeParse(raw);
  if (!parsed.success) throw new StudioError('E_MODEL_NOT_FOUND', `${file} is damaged (${parsed.error.issues[0]?.message ?? 'bad metadata'})`);
  return parsed.data;
}

/** The stored graph of an imported model folder. */
export async function loadStoredGraph(dir: string): Promise<Graph> {
  const [json, data] = await Promise.all([fs.readFile(path.join(dir, 'graph.json'), 'utf8'), fs.readFile(path.join(dir, 'weights.bin'))]);
  try {
    return deserializeGraph(JSON.parse(json), data);
  } catch (err) {
    throw new StudioError('E_MODEL_NOT_FOUND', `the stored model in ${dir} is damaged (${(err as Error).message}); remove it and import it again`);
  }
}

function describe(m: ImportedMeta): string {
  const size = Object.entries(m.archParams)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `Imported from ${m.sourceFile}: ${m.arch}${size ? ` (${size})` : ''}, x${m.scale}, ${(m.params / 1e6).toFixed(2)} M parameters. Other scales: x${m.scale} (chained above it) then an antialiased resample to size.`;
}

export function importedModelId(name: string): string {
  return `user:${name}`;
}

/** An Upscaler for an imported model folder; the weights are read on first use. */
export async function loadImportedModel(dir: string): Promise<Upscaler> {
  const meta = await readMeta(dir);
  const info: ModelInfo = {
    id: importedModelId(meta.name),
    family: 'imported',
    label: `${meta.name} (imported, x${meta.scale})`,
    scales: [...new Set([meta.scale, 2, 3, 4, 8].filter((s) => s >= 1))].sort((a, b) => a - b),
    description: describe(meta),
    sizeBytes: meta.sizeBytes,
    license: meta.license ? meta.license.split('\n')[0].slice(0, 120) : 'not given at import',
    source: `${meta.sourceFile} (${meta.format}, sha256 ${meta.sourceSha256.slice(0, 12)}…)`,
    speed: meta.params > 5e6 ? 'slow: a large net' : 'medium',
  };
  const spec = graphNetSpec({ scale: meta.scale, bytesPerPixel: meta.bytesPerPixel, overlap: 32, margin: 8, prepad: REALESRGAN_PREPAD, load: () => loadStoredGraph(dir) });
  return netUpscaler(info, spec, info.label);
}

// Folder -> (imported.json mtime, upscaler).
const known = new Map<string, { mtime: number; up: Upscaler }>();

/**
 * Register every imported model under <dataDir>/models and drop the ones removed since the last
 * look. Call before listing or resolving methods. Damaged folders are skipped and reported.
 */
export async function syncImportedModels(dataDir: string): Promise<{ loaded: Upscaler[]; errors: { dir: string; message: string }[] }> {
  const root = modelsRoot(dataDir);
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const loaded: Upscaler[] = [];
  const errors: { dir: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.isDirectory() || !MODEL_NAME.test(e.name)) continue;
    const dir = path.join(root, e.name);
    const st = await fs.stat(path.join(dir, IMPORTED_META)).catch(() => undefined);
    if (!st) continue;
    seen.add(dir);
    try {
      const prev = known.get(dir);
      const up = prev && prev.mtime === st.mtimeMs ? prev.up : await loadImportedModel(dir);
      known.set(dir, { mtime: st.mtimeMs, up });
      registerUpscaler(up);
      loaded.push(up);
    } catch (err) {
      errors.push({ dir, message: (err as Error).message });
    }
  }
  for (const [dir, { up }] of known) {
    if (path.dirname(dir) !== root || seen.has(dir)) continue;
    unregisterUpscaler(up.info.id);
    known.delete(dir);
  }
  return { loaded, errors };
}

/** Remove an imported model's folder; false when there is none of that name. */
export async function removeImportedModel(dataDir: string, name: string): Promise<boolean> {
  if (!MODEL_NAME.test(name)) throw new StudioError('E_INVALID_ARGUMENT', `'${name}' is not a model name`);
  const dir = path.join(modelsRoot(dataDir), name);
  if (!(await fs.stat(path.join(dir, IMPORTED_META)).catch(() => undefined))) {
    if (await fs.stat(path.join(dir, 'model.json')).catch(() => undefined)) {
      throw new StudioError('E_INVALID_ARGUMENT', `'${name}' is a model trained here, not an imported one; delete its folder ${dir} to remove it`);
    }
    return false;
  }
  // Renamed away first (one atomic step), then deleted: a crash never leaves half a model listed.
  const trash = path.join(modelsRoot(dataDir), `.removed-${randomBytes(6).toString('hex')}`);
  await fs.rename(dir, trash);
  await fs.rm(trash, { recursive: true, force: true });
  unregisterUpscaler(importedModelId(name));
  known.delete(dir);
  return true;
}
