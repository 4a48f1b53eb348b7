// Models trained with `studio train`, stored under <dataDir>/models/<name>/ (model.json with the
// architecture in its metadata + weights.bin), served as 'user:<name>' methods.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ModelInfo } from '../../contract/api';
import { StudioError } from '../../contract/errors';
import { tf } from '../backend';
import { loadArtifacts, saveArtifacts } from '../pretrained/model-files';
import { netUpscaler } from '../pretrained/net-runner';
import { registerUpscaler } from '../registry';
import type { Upscaler } from '../upscaler';
import { ARCHS, imageNet, inferenceBytesPerPixel, receptiveRadius, type ArchConfig, type Params } from './archs';
import { paramsFrom, type NamedWeight } from './learners';
import { packWeights, unpackWeights } from './weight-pack';

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

export const UserModelMeta = z.object({
  kind: z.literal('loupe-studio-user-model'),
  version: z.literal(1),
  name: z.string().regex(MODEL_NAME),
  arch: z.enum(ARCHS),
  scale: z.number().int().min(2).max(4),
  width: z.number().int().min(1).max(512),
  depth: z.number().int().min(1).max(64),
  created: z.string(),
  dataset: z.string(),
  trainImages: z.number().int(),
  valImages: z.number().int(),
  epochs: z.number().int(),
  bestEpoch: z.number().int(),
  valLoss: z.number(),
  psnr: z.number(),
  ssim: z.number(),
  bicubicPsnr: z.number().optional(),
  stoppedEarly: z.boolean(),
});
export type UserModelMeta = z.infer<typeof UserModelMeta>;

export function modelsRoot(dataDir: string): string {
  return path.join(dataDir, 'models');
}

export function userModelDir(dataDir: string, name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw new StudioError('E_INVALID_ARGUMENT', `model name '${name}' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return path.join(modelsRoot(dataDir), name);
}

/** Write the image net's weights + metadata as a user model (atomic per file). */
export async function saveUserModel(dir: string, meta: UserModelMeta, weights: NamedWeight[]): Promise<void> {
  await saveArtifacts(dir, { ...packWeights(weights), userDefinedMetadata: meta });
}

/** Named float32 weights of a model folder (checkpoints use the same format). */
export async function readWeights(dir: string): Promise<{ weights: NamedWeight[]; meta: unknown }> {
  const a = await loadArtifacts(dir);
  const data = a.weightData instanceof ArrayBuffer ? a.weightData : undefined;
  if (!data || !a.weightSpecs) throw new StudioError('E_MODEL_NOT_FOUND', `no weights in ${dir}`);
  return { weights: unpackWeights(a.weightSpecs, data), meta: a.userDefinedMetadata };
}

function describe(m: UserModelMeta): string {
  const kind = { cnn: 'CNN (document 000)', residual: 'residual CNN (ZSSR kind)', gan: 'GAN generator (document 001)' }[m.arch];
  return `Trained here: ${kind}, ${m.depth} layers x ${m.width} channels, x${m.scale}, on ${m.trainImages} images of ${m.dataset}; validation ${m.psnr.toFixed(2)} dB / SSIM ${m.ssim.toFixed(4)}${m.bicubicPsnr !== undefined ? ` (bicubic ${m.bicubicPsnr.toFixed(2)} dB)` : ''} at epoch ${m.bestEpoch}.`;
}

async function readMeta(dir: string): Promise<UserModelMeta> {
  const file = path.join(dir, 'model.json');
  let raw: unknown;
  try {
    raw = (JSON.parse(await fs.readFile(file, 'utf8')) as { userDefinedMetadata?: unknown }).userDefinedMetadata;
  } catch (err) {
    throw new StudioError('E_MODEL_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`, { path: file });
  }
  const parsed = UserModelMeta.safeParse(raw);
  if (!parsed.success) throw new StudioError('E_MODEL_NOT_FOUND', `${dir} is not a studio-trained model (${parsed.error.issues[0]?.message ?? 'bad metadata'})`);
  return parsed.data;
}

/** An Upscaler for a user model folder; only model.json is read now, the weights on first use. */
export async function loadUserModel(dir: string): Promise<Upscaler> {
  const meta = await readMeta(dir);
  const cfg: ArchConfig = { arch: meta.arch, scale: meta.scale, width: meta.width, depth: meta.depth };
  const def = imageNet(cfg);
  let params: Promise<Params> | undefined;
  const stat = await fs.stat(path.join(dir, 'weights.bin')).catch(() => undefined);
  const rf = receptiveRadius(cfg);
  const info: ModelInfo = {
    id: `user:${meta.name}`,
    family: 'user',
    label: `${meta.name} (trained, x${meta.scale})`,
    scales: [meta.scale],
    description: `${describe(meta)} Other scales: x${meta.scale} then a bicubic resample.`,
    ...(stat ? { sizeBytes: stat.size } : {}),
    license: 'yours',
    source: dir,
    speed: meta.arch === 'residual' ? 'runs at output size: slower than ESRGAN slim' : 'fast',
  };
  return netUpscaler(
    info,
    {
      scales: [meta.scale],
      range: 1,
      margin: rf + 1,
      overlap: 2 * (rf + 1) + 8,
      bytesPerPixel: () => inferenceBytesPerPixel(cfg),
      interpolateFirst: meta.arch === 'residual',
      net: async () => {
        params ??= readWeights(dir).then((r) => paramsFrom(def, r.weights));
        params.catch(() => (params = undefined));
        const p = await params;
        return (x: tf.Tensor4D) => {
          if (meta.arch !== 'gan') return def.forward(p, x, 'native');
          const y = def.forward(p, tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D, 'native');
          return tf.div(tf.add(y, 1), 2) as tf.Tensor4D;
        };
      },
    },
    info.label,
  );
}

// Folder -> (model.json mtime, upscaler): a re-scan only reloads what changed.
const known = new Map<string, { mtime: number; up: Upscaler }>();

/**
 * Register every model under <dataDir>/models as 'user:<name>'. Call at start-up in each process
 * that serves methods, and again before listing or resolving methods to pick up new models (a
 * re-scan reads only model.json files that changed). Broken folders are skipped and reported.
 */
export async function loadUserModels(dataDir: string): Promise<{ loaded: Upscaler[]; errors: { dir: string; message: string }[] }> {
  const root = modelsRoot(dataDir);
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const loaded: Upscaler[] = [];
  const errors: { dir: string; message: string }[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !MODEL_NAME.test(e.name)) continue;
    const dir = path.join(root, e.name);
    if (!(await fs.stat(path.join(dir, 'model.json')).catch(() => undefined))) continue; // training not finished an epoch yet
    try {
      const mtime = (await fs.stat(path.join(dir, 'model.json'))).mtimeMs;
      const prev = known.get(dir);
      const u = prev && prev.mtime === mtime ? prev.up : await loadUserModel(dir);
      known.set(dir, { mtime, up: u });
      registerUpscaler(u);
      loaded.push(u);
    } catch (err) {
      errors.push({ dir, message: (err as Error).message });
    }
  }
  return { loaded, errors };
}
