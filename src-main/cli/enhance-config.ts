import fs from 'node:fs/promises';
import path from 'node:path';
import { ZssrConfig } from '../contract/enhance';
import { StudioError } from '../contract/errors';

// `studio enhance --config config.json` reads the source document's config.json as it is:
//   image, output, max_MB, base64, scale_factor, scale_times and the ZSSR training keys.
// Every key is either used or reported as ignored, never silently dropped.

export interface EnhanceConfig {
  /** `image`: the input photo (absolute). */
  image?: string;
  /** `output`: the output file (absolute); one input only. */
  output?: string;
  /** `max_MB`: input file size limit. */
  maxMB?: number;
  /** `base64`: also write the output as a base64 data URL (`<output>.b64`). */
  base64?: boolean;
  /** scale_factor ** scale_times, when scale_factor is given. */
  scale?: number;
  /** ZSSR keys (scale_factor / scale_times included), for learned methods that train. */
  zssr: ZssrConfig;
  /** Keys that were accepted but have no effect, with the reason. */
  ignored: { key: string; reason: string }[];
}

const ZSSR_KEYS = new Set(Object.keys(ZssrConfig.shape));

function invalid(file: string, message: string): StudioError {
  return new StudioError('E_CONFIG_INVALID', `${file}: ${message}`, { file });
}

export async function readEnhanceConfig(file: string): Promise<EnhanceConfig> {
  const abs = path.resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(abs, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new StudioError('E_FILE_NOT_FOUND', `config file not found: ${abs}`, { file: abs });
    throw invalid(abs, `not valid JSON (${e.message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(abs, 'expected a JSON object of settings');
  return parseEnhanceConfig(raw as Record<string, unknown>, abs);
}

/** Checks and maps the keys of a config object; relative paths are taken from the config's folder. */
export function parseEnhanceConfig(obj: Record<string, unknown>, file: string): EnhanceConfig {
  const base = path.dirname(file);
  const out: EnhanceConfig = { zssr: {}, ignored: [] };
  const zssrRaw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    switch (key) {
      case 'image':
        if (typeof value !== 'string' || !value) throw invalid(file, '"image" must be a file path');
        out.image = path.resolve(base, value);
        break;
      case 'output':
        if (typeof value !== 'string' || !value) throw invalid(file, '"output" must be a file path');
        out.output = path.resolve(base, value);
        break;
      case 'max_MB':
        if (typeof value !== 'number' || !(value > 0)) throw invalid(file, '"max_MB" must be a positive number');
        out.maxMB = value;
        break;
      case 'base64':
        if (typeof value !== 'boolean') throw invalid(file, '"base64" must be true or false');
        out.base64 = value;
        break;
      default:
        if (ZSSR_KEYS.has(key)) zssrRaw[key] = value;
        else out.ignored.push({ key, reason: 'not a known setting' });
    }
  }
  const z = ZssrConfig.safeParse(zssrRaw);
  if (!z.success) {
    throw invalid(file, z.error.issues.map((i) => `"${i.path.join('.')}": ${i.message}`).join('; '));
  }
  out.zssr = z.data;
  // Like "image" and "output", a kernel file is named relative to the config file.
  if (z.data.kernel_path) out.zssr.kernel_path = path.resolve(base, z.data.kernel_path);
  if (z.data.scale_factor !== undefined) {
    const s = z.data.scale_factor ** (z.data.scale_times ?? 1);
    if (s > 16) throw invalid(file, `scale_factor ** scale_times = ${s}, above the largest scale 16`);
    out.scale = s;
  }
  return out;
}
