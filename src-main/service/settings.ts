import { Settings, type StudioApi } from '../contract/api';
import { StudioError } from '../contract/errors';
import { readJsonWithBackup, Serial, writeJsonWithBackup } from './json-file';

export function defaultSettings(outputsDir: string): Settings {
  return { backend: 'auto', cacheMaxMB: 2048, outputsDir, defaultFormat: 'same', defaultQuality: 90, concurrency: 1 };
}

/** Keeps every valid field of a stored object; the rest falls back to defaults. */
function salvage(raw: unknown, defaults: Settings): Settings | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out: Settings = { ...defaults };
  const shape = Settings.shape;
  for (const key of Object.keys(shape) as (keyof Settings)[]) {
    const r = shape[key].safeParse((raw as Record<string, unknown>)[key]);
    if (r.success) (out as Record<string, unknown>)[key] = r.data;
  }
  return out;
}

/**
 * settings.json: zod-validated on load and on update, written atomically with a .bak of the
 * previous version. A damaged file never stops the studio (valid fields are kept, defaults fill
 * the rest, the damaged copy is kept as settings.json.corrupt).
 */
export class SettingsStore {
  private value: Settings;
  private readonly serial = new Serial();
  private readonly listeners = new Set<(s: Settings, prev: Settings) => void>();
  /** What went wrong reading the file, if anything (shown in logs). */
  problem: string | undefined;

  private constructor(
    readonly file: string,
    private readonly defaults: Settings,
  ) {
    this.value = { ...defaults };
  }

  static async open(file: string, defaults: Settings): Promise<SettingsStore> {
    const s = new SettingsStore(file, defaults);
    const r = await readJsonWithBackup(file, (raw) => salvage(raw, defaults));
    if (r.value) s.value = r.value;
    if (!s.value.outputsDir) s.value.outputsDir = defaults.outputsDir; // '' would mean "the current folder"
    s.problem = r.problem;
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
    return this.serial.run(async () => {
      const prev = this.value;
      const next = Settings.parse({ ...prev, ...parsed.data, outputsDir: parsed.data.outputsDir || prev.outputsDir || this.defaults.outputsDir });
      await writeJsonWithBackup(this.file, next);
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
