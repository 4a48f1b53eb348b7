import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StudioError } from '../contract/errors';
import { JobInfo } from '../contract/jobs';
import { uncountInterrupted, type JobRecord } from './record';
import type { JobStore } from './store';
import { acquirePidLock, type PidLock } from '../base/lock';
import { JsonlLog, type Replay } from '../base/jsonl-log';

// Durable job journal: append-only JSON lines, each fsynced before the caller hears "stored".
//   {"v":1,"op":"put","job":{...}}   insert or replace a job
//   {"v":1,"op":"del","id":"..."}    forget a job
// The last line wins per id. Opening replays the file (base/jsonl-log: a torn last line is
// dropped, a damaged line is repaired when its job's id and request survived, and a damaged file is
// kept aside), turns `running` back into `queued` and rewrites the file compacted.

const JournalJob = JobInfo.extend({
  key: z.string().optional(),
  maxAttempts: z.number().int().positive().optional(),
});

const Line = z.discriminatedUnion('op', [
  z.object({ v: z.literal(1), op: z.literal('put'), job: JournalJob }),
  z.object({ v: z.literal(1), op: z.literal('del'), id: z.string() }),
]);

export interface JournalOptions {
  /** Take `<file>.lock` so a second process cannot append to the same journal (default true). */
  lock?: boolean;
  /** Rewrite the file when it holds this many more lines than live jobs (default 2000). */
  compactSlack?: number;
  /** Told about skipped damaged lines, recovered lines and interrupted jobs. */
  onWarning?: (message: string) => void;
}

export interface JournalStats {
  lines: number;
  live: number;
  skipped: number;
  /** Interrupted jobs queued again. */
  recovered: number;
  /** Damaged lines whose job was recovered. */
  salvaged: number;
  compactions: number;
}

type Line = z.infer<typeof Line>;

/**
 * A damaged put line, repaired: the job comes back when its id and request survived. Whatever
 * else is lost (its state, outputs...) is not guessed: it is failed, so the user can retry it.
 */
function salvageLine(raw: unknown): Line | undefined {
  const job = (raw as { job?: unknown } | undefined)?.job;
  if (!job || typeof job !== 'object') return undefined;
  const j = job as Record<string, unknown>;
  const id = z.string().min(1).safeParse(j.id);
  const request = JobInfo.shape.request.safeParse(j.request);
  if (!id.success || !request.success) return undefined;
  const field = <S extends z.ZodType>(schema: S, v: unknown): z.infer<S> | undefined => {
    const r = schema.safeParse(v);
    return r.success ? r.data : undefined;
  };
  const rec: JobRecord = {
    id: id.data,
    request: request.data,
    state: 'failed',
    createdAt: field(z.number(), j.createdAt) ?? Date.now(),
    outputs: field(z.array(z.string()), j.outputs) ?? [],
    error: { code: 'E_INTERNAL', message: 'this job was recovered from a damaged line of the job journal; its last state was lost: retry it' },
  };
  const seq = field(z.number().int().positive(), j.seq);
  if (seq !== undefined) rec.seq = seq;
  const key = field(z.string(), j.key);
  if (key !== undefined) rec.key = key;
  const watchId = field(z.string(), j.watchId);
  if (watchId !== undefined) rec.watchId = watchId;
  const attempts = field(z.number().int(), j.attempts);
  if (attempts !== undefined) rec.attempts = attempts;
  return { v: 1, op: 'put', job: JournalJob.parse(rec) };
}

const CODEC = {
  parse: (raw: unknown) => {
    const r = Line.safeParse(raw);
    return r.success ? r.data : undefined;
  },
  salvage: salvageLine,
};

const putLine = (json: string) => `{"v":1,"op":"put","job":${json}}`;

/** Open (or create) a journal at `file`. */
export async function openJournal(file: string, opts: JournalOptions = {}): Promise<JournalJobStore> {
  const j = new JournalJobStore(file, opts);
  await j.open();
  return j;
}

export class JournalJobStore implements JobStore {
  /** Latest serialized record per job id, in first-seen order (Map keeps insertion order). */
  private readonly live = new Map<string, string>();
  private readonly log: JsonlLog<Line>;
  private lock: PidLock | undefined;
  private closed = false;
  readonly stats: JournalStats = { lines: 0, live: 0, skipped: 0, recovered: 0, salvaged: 0, compactions: 0 };

  constructor(
    readonly file: string,
    private readonly opts: JournalOptions = {},
  ) {
    this.log = new JsonlLog<Line>({
      file,
      codec: CODEC,
      compaction: (lines) => (lines > this.live.size + (this.opts.compactSlack ?? 2000) ? this.body() : undefined),
    });
  }

  async open(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    if (this.opts.lock !== false) {
      this.lock = await acquirePidLock(`${this.file}.lock`, {
        busy: (pid) => `the job journal ${this.file} is in use by another studio process (pid ${pid}); close it or use another --data-dir`,
        heldHere: () => `the job journal ${this.file} is already open in this process`,
      });
    }
    try {
      const r = await this.log.open();
      this.replay(r);
      // Rewrite compacted before the first append: an append never lands after half a line.
      await this.log.rewrite(() => this.body());
      this.syncStats();
    } catch (err) {
      await this.log.close();
      await this.releaseLock();
      throw err;
    }
  }

  private replay(r: Replay<Line>): void {
    this.stats.skipped = r.skipped;
    this.stats.salvaged = r.salvaged;
    for (const p of r.problems) this.opts.onWarning?.(p);
    for (const line of r.records) {
      if (line.op === 'del') this.live.delete(line.id);
      else this.live.set(line.job.id, JSON.stringify(line.job));
    }
    for (const [id, json] of this.live) {
      const job = JSON.parse(json) as JobRecord;
      if (job.state !== 'running') continue;
      // The process died while this job ran: run it again, never lose it.
      job.state = 'queued';
      delete job.startedAt;
      uncountInterrupted(job);
      delete job.progress;
      this.stats.recovered++;
      this.live.set(id, JSON.stringify(job));
    }
    if (this.stats.recovered) this.opts.onWarning?.(`journal ${this.file}: ${this.stats.recovered} interrupted job(s) queued again`);
    if (r.keptAs) this.opts.onWarning?.(`journal ${this.file}: the damaged journal is kept as ${path.basename(r.keptAs)}`);
  }

  private body(): string[] {
    return [...this.live.values()].map(putLine);
  }

  private syncStats(): void {
    this.stats.lines = this.log.lines;
    this.stats.live = this.live.size;
    this.stats.compactions = Math.max(0, this.log.perf.rewrites - 1); // the rewrite on open is not one
  }

  async load(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const s of this.live.values()) out.push(JSON.parse(s) as JobRecord);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  put(job: JobRecord): Promise<void> {
    const json = JSON.stringify(job);
    this.live.set(job.id, json);
    return this.write(this.log.append(putLine(json)));
  }

  delete(id: string): Promise<void> {
    this.live.delete(id);
    return this.write(this.log.append(JSON.stringify({ v: 1, op: 'del', id })));
  }

  /** Rewrite the file with one line per live job. */
  compact(): Promise<void> {
    return this.write(this.log.rewrite(() => this.body()));
  }

  private async write(p: Promise<void>): Promise<void> {
    if (this.closed) throw new StudioError('E_INTERNAL', `journal ${this.file} is closed`);
    await p;
    this.syncStats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.log.close();
    await this.releaseLock();
  }

  private async releaseLock(): Promise<void> {
    await this.lock?.release();
    this.lock = undefined;
  }
}
