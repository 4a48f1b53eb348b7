import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { WatchFile, type WatchCounts } from '../contract/watch';
import { syncDir, writeFileDurable } from './atomic-file';

// The watch journal: one JSON line per change of a file entry (the full entry, last line wins),
// appended and fsynced before the change is acted upon. Replaying it after a crash gives back
// every entry in its last durable state. A torn last line (power loss mid-write) is dropped.

/** A WatchFile as the journal keeps it, plus what the runner needs to resume. */
export const LedgerEntry = WatchFile.extend({
  rel: z.string().min(1),
  path: z.string().min(1),
  mtimeMs: z.number(),
  /** Idempotency key of the current job submission. */
  key: z.string().optional(),
  /** The file vanished before it was processed: a file showing up again at this path is new. */
  gone: z.boolean().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

const MetaLine = z.object({ meta: z.object({ baselineDone: z.boolean().optional() }) });
type Meta = z.infer<typeof MetaLine>['meta'];

export interface LedgerStats {
  lines: number;
  badLines: number;
}

export class WatchLedger {
  readonly file: string;
  private readonly entries = new Map<string, LedgerEntry>();
  private meta: Meta = {};
  private fh: fs.FileHandle | undefined;
  private buffer: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private lines = 0;
  /** fsync count and time, for the benchmark of the journal's cost. */
  readonly perf = { syncs: 0, records: 0, ms: 0 };

  constructor(dir: string) {
    this.file = path.join(dir, 'journal.jsonl');
  }

  /** Replay the journal; compacts it when it holds mostly superseded lines. */
  async open(): Promise<LedgerStats> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let badLines = 0;
    const lines = text.split('\n');
    for (const line of lines) {
      if (!line.trim()) continue;
      this.lines++;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        badLines++;
        continue;
      }
      const m = MetaLine.safeParse(parsed);
      if (m.success) {
        this.meta = { ...this.meta, ...m.data.meta };
        continue;
      }
      const e = LedgerEntry.safeParse(parsed);
      if (e.success) this.entries.set(e.data.rel, e.data);
      else badLines++;
    }
    // A torn tail or many superseded lines: rewrite from memory (atomically) before appending.
    const tornTail = text.length > 0 && !text.endsWith('\n');
    if (badLines > 0 || tornTail || this.lines > 2 * this.entries.size + 1000) await this.compact();
    this.fh = await fs.open(this.file, 'a');
    await syncDir(path.dirname(this.file));
    return { lines: this.lines, badLines };
  }

  get(rel: string): LedgerEntry | undefined {
    return this.entries.get(rel);
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()];
  }

  get baselineDone(): boolean {
    return this.meta.baselineDone === true;
  }

  async setBaselineDone(): Promise<void> {
    this.meta.baselineDone = true;
    await this.append(JSON.stringify({ meta: { baselineDone: true } }));
  }

  /** Record an entry's new state; resolves once it is on disk. */
  put(e: LedgerEntry): Promise<void> {
    const copy = structuredClone(e);
    this.entries.set(copy.rel, copy);
    return this.append(JSON.stringify(copy));
  }

  /** Update an entry in memory only: a detail that may be lost in a crash (it goes to disk with the next record). */
  remember(e: LedgerEntry): void {
    this.entries.set(e.rel, structuredClone(e));
  }

  counts(): WatchCounts {
    const c: WatchCounts = { total: 0, queued: 0, running: 0, done: 0, failed: 0, skipped: 0 };
    for (const e of this.entries.values()) {
      c.total++;
      c[e.state]++;
    }
    return c;
  }

  async close(): Promise<void> {
    await this.flushing;
    if (this.buffer.length) await this.flush();
    await this.fh?.close();
    this.fh = undefined;
  }

  private append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push(line);
      this.waiters.push({ resolve, reject });
      // Group commit: whatever piles up while one fsync runs goes out with the next one.
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.buffer.length) await this.flush();
    } finally {
      this.flushing = undefined;
    }
  }

  private async flush(): Promise<void> {
    const lines = this.buffer;
    const waiters = this.waiters;
    this.buffer = [];
    this.waiters = [];
    try {
      if (!this.fh) throw new Error(`watch journal ${this.file} is closed`);
      const t0 = performance.now();
      await this.fh.write(lines.map((l) => `${l}\n`).join(''));
      await this.fh.datasync();
      this.perf.ms += performance.now() - t0;
      this.perf.syncs++;
      this.perf.records += lines.length;
      this.lines += lines.length;
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  private async compact(): Promise<void> {
    const body = [
      JSON.stringify({ meta: this.meta }),
      ...[...this.entries.values()].map((e) => JSON.stringify(e)),
    ].join('\n');
    await writeFileDurable(this.file, `${body}\n`);
    this.lines = this.entries.size + 1;
  }
}

/** Public view of an entry. */
export function toWatchFile(e: LedgerEntry): WatchFile {
  return {
    rel: e.rel,
    path: e.path,
    size: e.size,
    ...(e.hash ? { hash: e.hash } : {}),
    state: e.state,
    ...(e.jobId ? { jobId: e.jobId } : {}),
    outputs: [...e.outputs],
    ...(e.error ? { error: e.error } : {}),
    ...(e.note ? { note: e.note } : {}),
    attempts: e.attempts,
    detectedAt: e.detectedAt,
    updatedAt: e.updatedAt,
  };
}
