import path from 'node:path';
import { z } from 'zod';
import { WatchFile, type WatchCounts } from '../contract/watch';
import { JsonlLog } from '../base/jsonl-log';

// The watch journal: one JSON line per change of a file entry (the full entry, last line wins),
// appended and fsynced before the change is acted upon (base/jsonl-log). Replaying it after a
// crash gives back every entry in its last durable state. A torn last line is dropped.

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

type Line = { meta: Meta } | LedgerEntry;

const CODEC = {
  parse(raw: unknown): Line | undefined {
    const m = MetaLine.safeParse(raw);
    if (m.success) return m.data;
    const e = LedgerEntry.safeParse(raw);
    return e.success ? e.data : undefined;
  },
};

export class WatchLedger {
  readonly file: string;
  private readonly entries = new Map<string, LedgerEntry>();
  private meta: Meta = {};
  private readonly log: JsonlLog<Line>;

  constructor(dir: string) {
    this.file = path.join(dir, 'journal.jsonl');
    this.log = new JsonlLog<Line>({ file: this.file, codec: CODEC });
  }

  /** fsync count, records and time, for the benchmark of the journal's cost. */
  get perf(): { syncs: number; records: number; ms: number } {
    const { syncs, records, ms } = this.log.perf;
    return { syncs, records, ms };
  }

  /** Replay the journal; compacts it when it holds damage or mostly superseded lines. */
  async open(): Promise<LedgerStats> {
    const r = await this.log.open();
    for (const line of r.records) {
      if ('meta' in line) this.meta = { ...this.meta, ...line.meta };
      else this.entries.set(line.rel, line);
    }
    const badLines = r.skipped;
    if (badLines > 0 || r.tornTail || r.lines > 2 * this.entries.size + 1000) await this.log.rewrite(() => this.body());
    return { lines: r.lines, badLines };
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
    await this.log.append(JSON.stringify({ meta: { baselineDone: true } }));
  }

  /** Record an entry's new state; resolves once it is on disk. */
  put(e: LedgerEntry): Promise<void> {
    const copy = structuredClone(e);
    this.entries.set(copy.rel, copy);
    return this.log.append(JSON.stringify(copy));
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
    await this.log.close();
  }

  private body(): string[] {
    return [JSON.stringify({ meta: this.meta }), ...[...this.entries.values()].map((e) => JSON.stringify(e))];
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
