// The one policy for JSON state files (settings, library, presets, watches, desktop state):
//   1. the file parses and matches the schema: used (a store may salvage a partly wrong file,
//      e.g. keep the valid records of a list, and that is reported);
//   2. otherwise the damaged file is kept aside (damaged-copies.ts) and the last good copy
//      (`<file>.bak`, written before every save) is used;
//   3. with no good copy, what can be read from the damaged file is salvaged (a cut-off file is
//      repaired with `jsonrepair`, then validated record by record);
//   4. else the store's default. The problem is reported once, with where the value came from.
// Writes are atomic and serialised, and keep the previous good version as `<file>.bak`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { jsonrepair } from 'jsonrepair';
import type { z } from 'zod';
import { keepDamagedCopy } from './damaged-copies';
import { readTextIfExists, Serial, writeFileAtomic } from './durable';
import { CodedError } from './errors';

export interface JsonStoreOptions<T> {
  file: string;
  schema: z.ZodType<T>;
  /**
   * What can be kept of a document that does not match the schema (valid fields or records);
   * undefined when nothing. `dropped` says what was left out (for the report); without it the
   * document counts as whole (e.g. an older file that lacks fields added since).
   */
  salvage?: (raw: unknown) => { value: T; dropped?: string } | undefined;
  /** Keep `<file>.bak` and fall back to it (default true). */
  backup?: boolean;
  /**
   * Damage with nothing to recover: 'default' (the value is undefined, the caller uses its
   * default) or 'throw' (E_CONFIG_INVALID, for files whose loss must stop a feature).
   */
  onUnrecoverable?: 'default' | 'throw';
  /** Name part of the kept damaged copies: `<file>.<tag>-<time>` (default 'corrupt'). */
  damagedTag?: string;
  /** File mode of the file (default 0o644; 0o600 for private state). */
  mode?: number;
  /** The text written: default pretty JSON with a final newline. */
  format?: (value: T) => string;
}

export type LoadedFrom = 'file' | 'salvaged' | 'backup' | 'none';

export interface Loaded<T> {
  value: T | undefined;
  from: LoadedFrom;
  /** What was wrong and what was done about it, once, for the log and the user. */
  problem?: string;
  /** Where the damaged file was kept. */
  keptAs?: string;
}

function issuesOf(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`)
    .join('; ');
}

export class JsonStore<T> {
  readonly file: string;
  private readonly serial = new Serial();

  constructor(private readonly opts: JsonStoreOptions<T>) {
    this.file = opts.file;
  }

  private get backupFile(): string {
    return `${this.file}.bak`;
  }

  /** Parses and validates text; `salvaged` when only part of it was usable. */
  private judge(text: string): { value?: T; salvaged?: string; why?: string; raw?: unknown } {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { why: `not valid JSON (${(err as Error).message})` };
    }
    const parsed = this.opts.schema.safeParse(raw);
    if (parsed.success) return { value: parsed.data };
    const why = `does not match its schema (${issuesOf(parsed.error)})`;
    const s = this.opts.salvage?.(raw);
    if (!s) return { why, raw };
    // Nothing dropped: an older file that lacks newer fields, filled in; not damage.
    return s.dropped === undefined ? { value: s.value } : { value: s.value, salvaged: s.dropped, raw };
  }

  private isWhole(text: string): boolean {
    const j = this.judge(text);
    return j.value !== undefined && j.salvaged === undefined;
  }

  /** What can be read from a damaged text (repaired first when it is cut off or garbled). */
  private salvageText(text: string): T | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(jsonrepair(text));
    } catch {
      return undefined;
    }
    const parsed = this.opts.schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    return this.opts.salvage?.(raw)?.value;
  }

  async load(): Promise<Loaded<T>> {
    const name = path.basename(this.file);
    let text: string | undefined;
    try {
      text = await readTextIfExists(this.file);
    } catch (err) {
      return { value: undefined, from: 'none', problem: `${name} cannot be read (${(err as Error).message}); using defaults` };
    }
    if (text === undefined) return { value: undefined, from: 'none' };
    const main = this.judge(text);
    if (main.value !== undefined && main.salvaged === undefined) return { value: main.value, from: 'file' };

    // Damaged (or partly wrong): keep the evidence before anything rewrites the file.
    const keptAs = await keepDamagedCopy(this.file, text, this.opts.damagedTag).catch(() => undefined);
    const kept = keptAs ? `; the damaged file is kept as ${path.basename(keptAs)}` : '';
    if (main.value !== undefined) {
      return { value: main.value, from: 'salvaged', problem: `${name}: ${main.salvaged}; kept the valid part${kept}`, ...(keptAs ? { keptAs } : {}) };
    }
    const why = `${name} is damaged: ${main.why}`;
    if (this.opts.backup !== false) {
      const bak = await readTextIfExists(this.backupFile).catch(() => undefined);
      const b = bak === undefined ? undefined : this.judge(bak);
      if (b?.value !== undefined) {
        return { value: b.value, from: 'backup', problem: `${why}; using the last good copy (${path.basename(this.backupFile)})${kept}`, ...(keptAs ? { keptAs } : {}) };
      }
    }
    const salvaged = this.salvageText(text);
    if (salvaged !== undefined) {
      return { value: salvaged, from: 'salvaged', problem: `${why}; recovered what it still held${kept}`, ...(keptAs ? { keptAs } : {}) };
    }
    if (this.opts.onUnrecoverable === 'throw') {
      throw new CodedError('E_CONFIG_INVALID', `${this.file} is damaged (${main.why}); nothing in it could be recovered${kept}`, { file: this.file, ...(keptAs ? { keptAs } : {}) });
    }
    return { value: undefined, from: 'none', problem: `${why}; nothing could be recovered, using defaults${kept}`, ...(keptAs ? { keptAs } : {}) };
  }

  /** Atomic write, serialised with other saves; the previous good version becomes `<file>.bak`. */
  save(value: T): Promise<void> {
    return this.serial.run(async () => {
      const body = this.opts.format ? this.opts.format(value) : `${JSON.stringify(value, null, 2)}\n`;
      if (this.opts.backup !== false) {
        const cur = await readTextIfExists(this.file).catch(() => undefined);
        if (cur !== undefined && this.isWhole(cur)) await fs.copyFile(this.file, this.backupFile).catch(() => undefined);
      }
      await writeFileAtomic(this.file, body, { mkdir: true, ...(this.opts.mode ? { mode: this.opts.mode } : {}) });
    });
  }
}

/**
 * Salvage for a document holding a list of records (`{ version, <key>: [...] }`): keeps the
 * records that pass `item`, names how many were dropped. For JsonStoreOptions.salvage.
 */
export function salvageList<T, D extends Record<string, unknown>>(
  key: string,
  item: z.ZodType<T>,
  make: (records: T[]) => D,
  describe: (bad: z.ZodError, index: number) => string = (e, i) => `#${i + 1}: ${issuesOf(e)}`,
): (raw: unknown) => { value: D; dropped?: string } | undefined {
  return (raw) => {
    const list = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(list)) return undefined;
    const kept: T[] = [];
    const bad: string[] = [];
    list.forEach((x, i) => {
      const r = item.safeParse(x);
      if (r.success) kept.push(r.data);
      else bad.push(describe(r.error, i));
    });
    return { value: make(kept), dropped: `${bad.length} of ${list.length} ${key} could not be read (${bad.slice(0, 3).join('; ')})` };
  };
}
