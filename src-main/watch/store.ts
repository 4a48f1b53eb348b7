import path from 'node:path';
import { z } from 'zod';
import { JsonStore, salvageList } from '../base/json-store';
import { StudioError } from '../contract/errors';
import { WatchConfig } from '../contract/watch';

const WatchesFile = z.object({ version: z.literal(1), watches: z.array(WatchConfig) });
type WatchesFile = z.infer<typeof WatchesFile>;

/**
 * The user's watches in <dataDir>/watches.json, a base/json-store: zod-checked on load, replaced
 * atomically. A damaged file is kept aside (`watches.json.damaged-<time>`) and the watches it
 * still holds are used; with none, loading fails with E_CONFIG_INVALID. There is deliberately no
 * fallback to an older copy: it could bring back a watch the user removed, which would start
 * writing outputs again.
 */
export class WatchStore {
  readonly file: string;
  private readonly store: JsonStore<WatchesFile>;
  /** What was wrong with the file at the last load, if anything. */
  problem: string | undefined;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'watches.json');
    this.store = new JsonStore({
      file: this.file,
      schema: WatchesFile,
      salvage: salvageList('watches', WatchConfig, (watches) => ({ version: 1 as const, watches })),
      backup: false,
      onUnrecoverable: 'throw',
      damagedTag: 'damaged',
    });
  }

  async load(): Promise<WatchConfig[]> {
    const r = await this.store.load();
    this.problem = r.problem;
    // A file whose every watch was invalid holds nothing to run: that is damage, not "no watches".
    if (r.from === 'salvaged' && r.value?.watches.length === 0) {
      throw new StudioError('E_CONFIG_INVALID', `${r.problem}; no watch in it could be read; fix or remove it to start without watches`, { file: this.file });
    }
    return r.value?.watches ?? [];
  }

  /** Writes are serialised so the last save wins on disk as in memory. */
  save(watches: WatchConfig[]): Promise<void> {
    return this.store.save({ version: 1, watches });
  }
}
