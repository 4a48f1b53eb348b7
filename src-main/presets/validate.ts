// Reading a preset from anywhere (presets.json, an imported file, an API call): migrate older
// schema versions, then validate; errors name the offending field.
import { z } from 'zod';
import { StudioError } from '../contract/errors';
import { PRESET_SCHEMA_VERSION, Preset } from '../contract/presets';

/** 'Client Web 2048 (Acme)' -> 'client-web-2048-acme'. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'preset';
}

/** ['outputs', 0, 'format', 'quality'] -> 'outputs[0].format.quality'. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(preset)';
}

export interface FieldIssue {
  field: string;
  message: string;
}

export function issuesOf(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ field: fieldPath(i.path), message: i.message }));
}

/**
 * Version 1: the flat single-output form (one format, an optional long edge), still accepted
 * because it is the quickest preset to write by hand.
 */
const PresetV1 = z
  .object({
    version: z.literal(1),
    id: z.string().optional(),
    name: z.string().min(1).max(120),
    client: z.string().max(120).optional(),
    description: z.string().max(1000).optional(),
    format: z.enum(['jpeg', 'png', 'webp', 'avif', 'tiff']),
    quality: z.number().int().min(1).max(100).optional(),
    bitDepth: z.union([z.literal(8), z.literal(16)]).optional(),
    longEdge: z.number().int().min(1).max(65535).optional(),
    colour: z.enum(['keep', 'srgb', 'display-p3', 'adobe-rgb']).optional(),
    metadata: z.enum(['all', 'camera-copyright', 'none']).optional(),
    template: z.string().max(240).optional(),
    subfolder: z.string().max(240).optional(),
  })
  .strict();

function fromV1(v1: z.infer<typeof PresetV1>): Record<string, unknown> {
  const format: Record<string, unknown> = { format: v1.format };
  if (v1.quality !== undefined && (v1.format === 'jpeg' || v1.format === 'webp' || v1.format === 'avif')) format.quality = v1.quality;
  if (v1.bitDepth !== undefined && (v1.format === 'png' || v1.format === 'tiff')) format.bitDepth = v1.bitDepth;
  const naming: Record<string, unknown> = {};
  if (v1.template !== undefined) naming.template = v1.template;
  if (v1.subfolder !== undefined) naming.subfolder = v1.subfolder;
  const output: Record<string, unknown> = {
    kind: 'image',
    format,
    size: v1.longEdge ? { mode: 'longEdge', px: v1.longEdge } : { mode: 'keep' },
    naming,
  };
  if (v1.colour) output.colour = v1.colour;
  if (v1.metadata) output.metadata = { mode: v1.metadata };
  const v2: Record<string, unknown> = { version: 2, id: v1.id ?? slugify(v1.name), name: v1.name, outputs: [output] };
  if (v1.client !== undefined) v2.client = v1.client;
  if (v1.description !== undefined) v2.description = v1.description;
  return v2;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function invalid(label: string, issues: FieldIssue[]): StudioError {
  const first = issues[0] ?? { field: '(preset)', message: 'invalid' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new StudioError('E_PRESET_INVALID', `${label}: ${first.field}: ${first.message}${more}`, { field: first.field, issues });
}

/** Brings any known version up to the current one (no validation of the result yet). */
export function migratePreset(raw: unknown, label = 'preset'): unknown {
  if (!isRecord(raw)) throw invalid(label, [{ field: '(preset)', message: 'expected a JSON object' }]);
  const version = raw.version ?? ('outputs' in raw ? PRESET_SCHEMA_VERSION : 1);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw invalid(label, [{ field: 'version', message: `expected a schema version number (1-${PRESET_SCHEMA_VERSION})` }]);
  }
  if (version > PRESET_SCHEMA_VERSION) {
    throw invalid(label, [{ field: 'version', message: `made by a newer Loupe Studio (version ${version}); this one reads up to ${PRESET_SCHEMA_VERSION}` }]);
  }
  let doc: Record<string, unknown> = { ...raw, version };
  if (version === 1) {
    const v1 = PresetV1.safeParse(doc);
    if (!v1.success) throw invalid(label, issuesOf(v1.error));
    doc = fromV1(v1.data);
  }
  if (doc.id === undefined && typeof doc.name === 'string') doc.id = slugify(doc.name);
  return doc;
}

/** Migrates and validates; E_PRESET_INVALID names the first bad field (all of them in details). */
export function parsePreset(raw: unknown, label?: string): Preset {
  const name = label ?? (isRecord(raw) && typeof raw.name === 'string' ? `preset '${raw.name}'` : 'preset');
  const doc = migratePreset(raw, name);
  const r = Preset.safeParse(doc);
  if (!r.success) throw invalid(name, issuesOf(r.error));
  return r.data;
}
