import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StudioError } from '../contract/errors';
import { WatchConfig } from '../contract/watch';
import { writeFileDurable } from './atomic-file';

const WatchesFile = z.object({ version: z.literal(1), watches: z.array(WatchConfig) });

/** The user's watches in <dataDir>/watches.json: zod-checked on load, replaced atomically. */
export class WatchStore {
  readonly file: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'watches.json');
  }

  async load(): Promise<WatchConfig[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.invalid('it is not valid JSON');
    }
    const parsed = WatchesFile.safeParse(json);
    if (!parsed.success) throw this.invalid(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return parsed.data.watches;
  }

  /** Writes are serialised so the last save wins on disk as in memory. */
  save(watches: WatchConfig[]): Promise<void> {
    const body = `${JSON.stringify({ version: 1, watches }, null, 2)}\n`;
    const next = this.chain.then(() => writeFileDurable(this.file, body));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private invalid(why: string): StudioError {
    return new StudioError('E_CONFIG_INVALID', `${this.file} is damaged (${why}); fix or remove it to start without watches`, { file: this.file });
  }
}
