// Read and write tfjs model artifacts (model.json + weight shards) with plain fs: the pretrained
// models ship inside node_modules and user models live in the data dir, so no network handler
// and no tfjs-node file system are needed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../contract/errors';
import type { tf } from '../backend';

type ModelArtifacts = tf.io.ModelArtifacts;
type WeightsManifestEntry = tf.io.WeightsManifestEntry;

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

function bytesOf(specs: WeightsManifestEntry[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (BYTES[s.dtype] ?? 4), 0);
}

/** Total bytes of a model folder's weight shards (for the registry's size column). */
export async function weightBytes(dir: string): Promise<number> {
  const json = await readModelJson(dir);
  let n = 0;
  for (const g of json.weightsManifest) for (const p of g.paths) n += (await fs.stat(path.join(dir, p))).size;
  return n;
}

async function readModelJson(dir: string): Promise<ModelJson> {
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new StudioError('E_MODEL_NOT_FOUND', `model file ${file} is missing`, { path: file });
  }
  try {
    const json = JSON.parse(text) as ModelJson;
    if (!Array.isArray(json.weightsManifest)) throw new Error('no weightsManifest');
    return json;
  } catch (err) {
    throw new StudioError('E_MODEL_NOT_FOUND', `model file ${file} is damaged (${(err as Error).message})`, { path: file });
  }
}

/** Load model.json and its shards from a folder; shard sizes are checked against the manifest. */
export async function loadArtifacts(dir: string): Promise<ModelArtifacts> {
  const json = await readModelJson(dir);
  const specs: WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      try {
        parts.push(await fs.readFile(file));
      } catch {
        throw new StudioError('E_MODEL_NOT_FOUND', `weight file ${file} is missing`, { path: file });
      }
    }
  }
  const all = Buffer.concat(parts);
  const expected = bytesOf(specs);
  if (all.byteLength !== expected) {
    throw new StudioError('E_MODEL_NOT_FOUND', `weights in ${dir} are ${all.byteLength} bytes, the manifest needs ${expected}`, { path: dir });
  }
  return {
    modelTopology: json.modelTopology as ModelArtifacts['modelTopology'],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    userDefinedMetadata: json.userDefinedMetadata as ModelArtifacts['userDefinedMetadata'],
  };
}

/** A tf.io.IOHandler reading from a folder (for tf.loadLayersModel). */
export function dirLoader(dir: string): tf.io.IOHandler {
  return { load: () => loadArtifacts(dir) };
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

/**
 * Write weights (+ topology/metadata) as model.json + weights.bin. The shard is written first and
 * model.json last, each atomically, so a crash never leaves a model.json pointing at half a shard.
 */
export async function saveArtifacts(
  dir: string,
  a: { weightSpecs: WeightsManifestEntry[]; weightData: ArrayBuffer; modelTopology?: unknown; userDefinedMetadata?: Record<string, unknown> },
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData));
  const json: ModelJson = {
    format: 'loupe-studio',
    generatedBy: 'loupe-studio',
    modelTopology: a.modelTopology ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    userDefinedMetadata: a.userDefinedMetadata,
  };
  await writeAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
}
