// Presets owned by main: built-ins (read-only JSON files in resources/presets/builtin) and the
// user's presets in <dataDir>/presets.json, a base/json-store (validated on load, written
// atomically; a damaged file is kept aside and the presets it still holds are used). Every change re-reads the file under a lock, so two windows or a CLI
// run do not lose each other's edits within one process.
import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../contract/errors';
import { PRESET_SCHEMA_VERSION, type Preset } from '../contract/presets';
import { z } from 'zod';
import { JsonStore } from '../base/json-store';
import { presetResource } from '../base/resources';
import { parsePreset } from './validate';

export const PRESETS_FILE = 'presets.json';

export interface PresetEntry {
  preset: Preset;
  builtin: boolean;
}

export interface PresetStore {
  list(): Promise<PresetEntry[]>;
  get(id: string): Promise<PresetEntry>;
  /** By id, or by name (case-insensitive): what `--preset NAME` accepts. */
  find(idOrName: string): Promise<PresetEntry>;
  save(input: unknown): Promise<Preset>;
  delete(id: string): Promise<boolean>;
  /** All or nothing: one bad preset in the text rejects the import and changes nothing. */
  import(jsonText: string): Promise<Preset[]>;
  export(ids?: string[]): Promise<string>;
  /** Problems met while loading (a damaged presets.json, an invalid built-in). */
  warnings(): string[];
}

export interface PresetStoreOptions {
  /** Default: resources/presets/builtin. */
  builtinDir?: string;
}

/** presets.json as stored; each preset is validated (and migrated) on its own by parsePreset. */
const UserFile = z.object({ version: z.number(), presets: z.array(z.unknown()) });
type UserFile = { version: number; presets: Preset[] };

/** The presets of a file that parse; the others are named. */
function readPresets(raw: unknown): { value: UserFile; dropped?: string } | undefined {
  const doc = UserFile.safeParse(raw);
  if (!doc.success) return undefined;
  const presets: Preset[] = [];
  const bad: string[] = [];
  for (const p of doc.data.presets) {
    try {
      presets.push(parsePreset(p));
    } catch (err) {
      bad.push((err as Error).message);
    }
  }
  const value = { version: doc.data.version, presets };
  return bad.length ? { value, dropped: `${bad.length} preset(s) in ${PRESETS_FILE} are invalid and were left out: ${bad.join('; ')}` } : { value };
}

async function loadBuiltins(dir: string, warnings: string[]): Promise<Preset[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    warnings.push(`built-in presets folder not found: ${dir}`);
    return [];
  }
  const out: Preset[] = [];
  for (const n of names) {
    try {
      out.push(parsePreset(JSON.parse(await fs.readFile(path.join(dir, n), 'utf8')), `built-in preset ${n}`));
    } catch (err) {
      warnings.push((err as Error).message);
    }
  }
  return out;
}

/** Parses import text: one preset object, an array, or { presets: [...] }. */
export function presetsInText(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StudioError('E_PRESET_INVALID', `not valid JSON: ${(err as Error).message}`, { field: '(file)' });
  }
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object' && Array.isArray((doc as { presets?: unknown }).presets)) return (doc as { presets: unknown[] }).presets;
  return [doc];
}

function freeId(id: string, taken: Set<string>): string {
  if (!taken.has(id)) return id;
  for (let k = 2; ; k++) {
    const c = `${id.slice(0, 74)}-${k}`;
    if (!taken.has(c)) return c;
  }
}

const same = (a: Preset, b: Preset) => JSON.stringify(a) === JSON.stringify(b);

export function createPresetStore(dataDir: string, opts: PresetStoreOptions = {}): PresetStore {
  const file = path.join(dataDir, PRESETS_FILE);
  const builtinDir = opts.builtinDir ?? presetResource('builtin');
  const loadWarnings: string[] = [];
  let builtins: Promise<Preset[]> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const store = new JsonStore<UserFile>({
    file,
    // Every preset is checked by readPresets: the whole-file schema only says "a list".
    schema: UserFile.transform((d, ctx) => {
      const r = readPresets(d);
      if (!r || r.dropped) {
        ctx.addIssue({ code: 'custom', message: r?.dropped ?? 'no "presets" array' });
        return z.NEVER;
      }
      return r.value;
    }),
    salvage: readPresets,
    // No older copy to fall back to: it would bring back presets the user deleted. A damaged file
    // is salvaged preset by preset instead.
    backup: false,
    damagedTag: 'invalid',
    format: (v) => `${JSON.stringify({ version: PRESET_SCHEMA_VERSION, presets: v.presets }, null, 2)}\n`,
  });

  const getBuiltins = () => (builtins ??= loadBuiltins(builtinDir, loadWarnings));

  /** Runs fn after every earlier change has finished. */
  function locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  async function readUser(): Promise<Preset[]> {
    const r = await store.load();
    // The same damage is reported once, however often the file is read.
    if (r.problem && !loadWarnings.includes(r.problem)) loadWarnings.push(r.problem);
    return r.value?.presets ?? [];
  }

  async function writeUser(presets: Preset[]): Promise<void> {
    await store.save({ version: PRESET_SCHEMA_VERSION, presets });
  }

  async function all(): Promise<PresetEntry[]> {
    const [b, u] = await Promise.all([getBuiltins(), readUser()]);
    return [...b.map((preset) => ({ preset, builtin: true })), ...u.map((preset) => ({ preset, builtin: false }))];
  }

  async function get(id: string): Promise<PresetEntry> {
    const hit = (await all()).find((e) => e.preset.id === id);
    if (!hit) throw new StudioError('E_NOT_FOUND', `no preset with id '${id}'`, { id });
    return hit;
  }

  return {
    list: all,
    get,
    async find(idOrName) {
      const entries = await all();
      const key = idOrName.trim().toLowerCase();
      const hit = entries.find((e) => e.preset.id === key) ?? entries.find((e) => e.preset.name.toLowerCase() === key);
      if (!hit) {
        throw new StudioError('E_NOT_FOUND', `no preset '${idOrName}'; 'studio presets ls' lists them`, { id: idOrName });
      }
      return hit;
    },
    async save(input) {
      const preset = parsePreset(input);
      return locked(async () => {
        const b = await getBuiltins();
        if (b.some((p) => p.id === preset.id)) {
          throw new StudioError('E_INVALID_ARGUMENT', `'${preset.id}' is a built-in preset and cannot be changed; save it under another id`, { id: preset.id });
        }
        const user = await readUser();
        const i = user.findIndex((p) => p.id === preset.id);
        if (i >= 0) user[i] = preset;
        else user.push(preset);
        await writeUser(user);
        return preset;
      });
    },
    async delete(id) {
      return locked(async () => {
        const b = await getBuiltins();
        if (b.some((p) => p.id === id)) throw new StudioError('E_INVALID_ARGUMENT', `'${id}' is a built-in preset and cannot be deleted`, { id });
        const user = await readUser();
        const rest = user.filter((p) => p.id !== id);
        if (rest.length === user.length) return false;
        await writeUser(rest);
        return true;
      });
    },
    async import(text) {
      const docs = presetsInText(text);
      if (docs.length === 0) throw new StudioError('E_PRESET_INVALID', 'the file holds no presets', { field: 'presets' });
      // Validate everything first: a bad preset anywhere leaves the store untouched.
      const parsed = docs.map((d, i) => parsePreset(d, docs.length > 1 ? `preset #${i + 1}${presetName(d)}` : undefined));
      return locked(async () => {
        const b = await getBuiltins();
        const user = await readUser();
        const taken = new Set([...b.map((p) => p.id), ...user.map((p) => p.id)]);
        const result: Preset[] = [];
        for (const p of parsed) {
          const existing = user.find((u) => u.id === p.id);
          if (existing && same(existing, p)) {
            result.push(existing);
            continue;
          }
          const id = freeId(p.id, taken);
          taken.add(id);
          const stored = id === p.id ? p : { ...p, id };
          user.push(stored);
          result.push(stored);
        }
        await writeUser(user);
        return result;
      });
    },
    async export(ids) {
      const entries = await all();
      let chosen: Preset[];
      if (ids && ids.length) {
        chosen = ids.map((id) => {
          const e = entries.find((x) => x.preset.id === id);
          if (!e) throw new StudioError('E_NOT_FOUND', `no preset with id '${id}'`, { id });
          return e.preset;
        });
      } else {
        chosen = entries.filter((e) => !e.builtin).map((e) => e.preset);
      }
      return `${JSON.stringify({ version: PRESET_SCHEMA_VERSION, presets: chosen }, null, 2)}\n`;
    },
    warnings: () => [...loadWarnings],
  };
}

function presetName(d: unknown): string {
  return d && typeof d === 'object' && typeof (d as { name?: unknown }).name === 'string' ? ` '${(d as { name: string }).name}'` : '';
}
