import fs from 'node:fs/promises';
import { writeFileAtomic } from '../imaging';

export interface ReadJsonResult<T> {
  value: T | undefined;
  /** Where the value came from. */
  from: 'file' | 'backup' | 'none';
  /** Set when the main file existed but could not be used (kept as `<file>.corrupt`). */
  problem?: string;
}

async function readParsed<T>(file: string, parse: (raw: unknown) => T | undefined): Promise<{ value?: T; problem?: string; missing?: boolean }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { problem: (err as Error).message };
  }
  try {
    const value = parse(JSON.parse(text));
    return value === undefined ? { problem: 'content does not match the expected shape' } : { value };
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message})` };
  }
}

/**
 * Reads a JSON state file; a damaged one never stops the studio: it is kept aside as
 * `<file>.corrupt` and the last good copy (`<file>.bak`) is used, else nothing.
 */
export async function readJsonWithBackup<T>(file: string, parse: (raw: unknown) => T | undefined): Promise<ReadJsonResult<T>> {
  const main = await readParsed(file, parse);
  if (main.value !== undefined) return { value: main.value, from: 'file' };
  if (main.problem) await fs.copyFile(file, `${file}.corrupt`).catch(() => undefined);
  const bak = await readParsed(`${file}.bak`, parse);
  const problem = main.problem ? `${file}: ${main.problem}` : undefined;
  if (bak.value !== undefined) return { value: bak.value, from: 'backup', ...(problem ? { problem } : {}) };
  return { value: undefined, from: 'none', ...(problem ? { problem } : {}) };
}

/** Atomic write that keeps the previous good version as `<file>.bak`. */
export async function writeJsonWithBackup(file: string, value: unknown): Promise<void> {
  const ok = await readParsed(file, (raw) => raw);
  if (ok.value !== undefined) await fs.copyFile(file, `${file}.bak`).catch(() => undefined);
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Runs async tasks one after another (writes of one file must not interleave). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
