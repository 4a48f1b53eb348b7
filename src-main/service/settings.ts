import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Settings, type StudioApi } from '../contract/api';
import { StudioError } from '../contract/errors';
import { Serial } from '../base/durable';
import { JsonStore } from '../base/json-store';
import { isSystemFolder, realPathOf } from '../base/paths';

/** The user's Pictures folder: allowed from the start (it is made when an export goes there). */
export function picturesDir(): string {
  return path.join(os.homedir(), 'Pictures');
}

export function defaultSettings(outputsDir: string): Settings {
  return { backend: 'auto', cacheMaxMB: 2048, outputsDir, defaultFormat: 'same', defaultQuality: 90, concurrency: 1, allowedFolders: [picturesDir()], lastExportDirs: {} };
}

/**
 * Allowed folders as they are kept: absolute, existing folders (the Pictures default excepted),
 * never a whole disk, once each. A folder that cannot be used is refused, not dropped silently.
 */
export function checkAllowedFolders(folders: readonly string[], keep: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const raw of folders) {
    const f = raw.trim();
    if (!path.isAbsolute(f)) throw new StudioError('E_INVALID_ARGUMENT', `'${f}' is not a full folder path (it must start with ${path.sep})`, { path: f });
    const resolved = path.resolve(f);
    if (path.dirname(realPathOf(resolved)) === realPathOf(resolved)) {
      throw new StudioError('E_INVALID_ARGUMENT', `'${f}' is a whole disk; allow the folder you deliver to instead`, { path: f });
    }
    if (!keep.includes(resolved)) {
      let isDir = false;
      try {
        isDir = statSync(resolved).isDirectory();
      } catch {
        throw new StudioError('E_FILE_NOT_FOUND', `the folder '${f}' does not exist`, { path: f });
      }
      if (!isDir) throw new StudioError('E_INVALID_ARGUMENT', `'${f}' is a file, not a folder`, { path: f });
    }
    if (!out.includes(resolved)) out.push(resolved);
  }
  return out;
}

/** Keeps every valid field of a stored object; the rest falls back to defaults (and is named). */
function salvage(raw: unknown, defaults: Settings): { value: Settings; dropped?: string } | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out: Settings = { ...defaults };
  const shape = Settings.shape;
  const reset: string[] = [];
  for (const key of Object.keys(shape) as (keyof Settings)[]) {
    const v = (raw as Record<string, unknown>)[key];
    const r = shape[key].safeParse(v);
    if (r.success) (out as Record<string, unknown>)[key] = r.data;
    else if (v !== undefined) reset.push(key);
  }
  const unknown = Object.keys(raw).filter((k) => !(k in shape));
  const parts = [...(reset.length ? [`${reset.join(', ')} had invalid values and were reset to the defaults`] : []), ...(unknown.length ? [`unknown keys ${unknown.join(', ')} were ignored`] : [])];
  return { value: out, ...(parts.length ? { dropped: parts.join('; ') } : {}) };
}

/** Why a folder cannot hold outputs (undefined when it can). */
function outputsDirProblem(dir: string): string | undefined {
  if (!path.isAbsolute(dir)) return 'is not an absolute path';
  if (isSystemFolder(dir)) return 'is a folder of the operating system';
  return undefined;
}

/**
 * settings.json: zod-validated on load and on update, through base/json-store (atomic writes,
 * a .bak of the previous version; a damaged file is kept aside and never stops the studio: the
 * last good copy, else the valid fields it still holds, else defaults; `problem` says which).
 */
export class SettingsStore {
  private value: Settings;
  private readonly serial = new Serial();
  private readonly store: JsonStore<Settings>;
  private readonly listeners = new Set<(s: Settings, prev: Settings) => void>();
  /** What went wrong reading the file, if anything (shown in logs). */
  problem: string | undefined;

  private constructor(
    readonly file: string,
    private readonly defaults: Settings,
  ) {
    this.value = { ...defaults };
    this.store = new JsonStore({ file, schema: Settings, salvage: (raw) => salvage(raw, defaults) });
  }

  static async open(file: string, defaults: Settings): Promise<SettingsStore> {
    const s = new SettingsStore(file, defaults);
    const r = await s.store.load();
    if (r.value) s.value = { ...defaults, ...r.value };
    if (!s.value.outputsDir) s.value.outputsDir = defaults.outputsDir; // '' would mean "the current folder"
    s.problem = r.problem;
    const refused = outputsDirProblem(s.value.outputsDir);
    if (refused) {
      s.problem = [r.problem, `outputsDir '${s.value.outputsDir}' ${refused}; outputs go to ${defaults.outputsDir} until it is changed`].filter(Boolean).join('; ');
      s.value.outputsDir = defaults.outputsDir;
    }
    return s;
  }

  get(): Settings {
    return { ...this.value };
  }

  onChange(listener: (s: Settings, prev: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const parsed = Settings.partial().safeParse(patch);
    if (!parsed.success) {
      throw new StudioError('E_INVALID_ARGUMENT', `invalid settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const refused = parsed.data.outputsDir ? outputsDirProblem(parsed.data.outputsDir) : undefined;
    if (refused) throw new StudioError('E_PATH_NOT_ALLOWED', `outputsDir '${parsed.data.outputsDir}' ${refused}`);
    return this.serial.run(async () => {
      const prev = this.value;
      // Folders already on the list (Pictures before it exists) stay without being checked again.
      const allowedFolders = parsed.data.allowedFolders ? checkAllowedFolders(parsed.data.allowedFolders, [...prev.allowedFolders, ...this.defaults.allowedFolders]) : prev.allowedFolders;
      const next = Settings.parse({ ...prev, ...parsed.data, allowedFolders, outputsDir: parsed.data.outputsDir || prev.outputsDir || this.defaults.outputsDir });
      await this.store.save(next);
      this.value = next;
      for (const l of this.listeners) l({ ...next }, prev);
      return { ...next };
    });
  }
}

export function createSettingsApi(deps: { settings: SettingsStore }): Pick<StudioApi, 'settings.get' | 'settings.update'> {
  return {
    'settings.get': async () => deps.settings.get(),
    'settings.update': (patch) => deps.settings.update(patch),
  };
}
