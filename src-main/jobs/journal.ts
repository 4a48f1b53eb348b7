import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StudioError } from '../contract/errors';
import { JobInfo } from '../contract/jobs';
import type { JobRecord } from './record';
import type { JobStore } from './store';
import { processAlive, syncDir } from './durable';

// Durable job journal: append-only JSON lines, each fsynced before the caller hears "stored".
//   {"v":1,"op":"put","job":{...}}   insert or replace a job
//   {"v":1,"op":"del","id":"..."}    forget a job
// The last line wins per id. Opening replays the file, tolerates a torn last line (the process
// died mid-write), turns `running` back into `queued` and rewrites the file compacted (temp file,
// fsync, rename), so the next append never lands after half a line.

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
  /** Told about skipped damaged lines and recovered jobs. */
  onWarning?: (message: string) => void;
}

export interface JournalStats {
  lines: number;
  live: number;
  skipped: number;
  recovered: number;
  compactions: number;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Open (or create) a journal at `file`. */
export async function openJournal(file: string, opts: JournalOptions = {}): Promise<JournalJobStore> {
  const j = new JournalJobStore(file, opts);
  await j.open();
  return j;
}

export class JournalJobStore implements JobStore {
  /** Latest serialized record per job id, in first-seen order (Map keeps insertion order). */
  private readonly live = new Map<string, string>();
  private fh: fs.FileHandle | undefined;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private lines = 0;
  private locked = false;
  private closed = false;
  readonly stats: JournalStats = { lines: 0, live: 0, skipped: 0, recovered: 0, compactions: 0 };

  constructor(
    readonly file: string,
    private readonly opts: JournalOptions = {},
  ) {}

  async open(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    if (this.opts.lock !== false) await this.acquireLock();
    try {
      let text = '';
      try {
        text = await fs.readFile(this.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await this.replay(text);
      await this.rewrite();
      this.fh = await fs.open(this.file, 'a');
    } catch (err) {
      await this.releaseLock();
      throw err;
    }
  }

  /** Replays the file; yields to the event loop now and then (a big journal must not freeze a window). */
  private async replay(text: string): Promise<void> {
    const rows = text.split('\n');
    const torn = rows.length > 0 && rows[rows.length - 1] !== '';
    for (let i = 0; i < rows.length; i++) {
      if (i % 500 === 499) await new Promise<void>((r) => setImmediate(r));
      const row = rows[i];
      if (!row.trim()) continue;
      const isLast = i === rows.length - 1;
      let parsed: z.infer<typeof Line> | undefined;
      try {
        const r = Line.safeParse(JSON.parse(row));
        if (r.success) parsed = r.data;
      } catch {
        // fall through: counted below
      }
      if (!parsed) {
        this.stats.skipped++;
        this.opts.onWarning?.(
          isLast && torn
            ? `journal ${this.file}: ignored a torn last line (the process stopped mid-write)`
            : `journal ${this.file}: skipped damaged line ${i + 1}`,
        );
        continue;
      }
      if (parsed.op === 'del') {
        this.live.delete(parsed.id);
        continue;
      }
      this.live.set(parsed.job.id, JSON.stringify(parsed.job));
    }
    for (const [id, json] of this.live) {
      const job = JSON.parse(json) as JobRecord;
      if (job.state !== 'running') continue;
      // The process died while this job ran: run it again, never lose it.
      job.state = 'queued';
      delete job.startedAt;
      delete job.progress;
      this.stats.recovered++;
      this.live.set(id, JSON.stringify(job));
    }
    if (this.stats.recovered) this.opts.onWarning?.(`journal ${this.file}: ${this.stats.recovered} interrupted job(s) queued again`);
  }

  async load(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const s of this.live.values()) out.push(JSON.parse(s) as JobRecord);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  put(job: JobRecord): Promise<void> {
    const json = JSON.stringify(job);
    this.live.set(job.id, json);
    return this.append(`{"v":1,"op":"put","job":${json}}\n`);
  }

  delete(id: string): Promise<void> {
    this.live.delete(id);
    return this.append(`${JSON.stringify({ v: 1, op: 'del', id })}\n`);
  }

  /** Rewrite the file with one line per live job. */
  compact(): Promise<void> {
    return this.append('', true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
    await this.releaseLock();
  }

  private async releaseLock(): Promise<void> {
    if (this.locked) {
      await fs.rm(this.lockFile, { force: true });
      OPEN_IN_THIS_PROCESS.delete(path.resolve(this.file));
    }
    this.locked = false;
  }

  // --- writing ------------------------------------------------------------------------------

  private append(line: string, forceCompact = false): Promise<void> {
    if (this.closed) return Promise.reject(new StudioError('E_INTERNAL', `journal ${this.file} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      if (forceCompact) this.compactRequested = true;
      this.kick();
    });
  }

  private compactRequested = false;

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.pending.length) this.kick();
    });
  }

  /** Group commit: every record waiting when a write starts shares one write + fsync. */
  private async flushLoop(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        const text = batch.map((b) => b.line).join('');
        if (text && this.fh) {
          await this.fh.write(text);
          await this.fh.datasync();
          this.lines += batch.filter((b) => b.line).length;
        }
        const slack = this.opts.compactSlack ?? 2000;
        if (this.compactRequested || this.lines > this.live.size + slack) {
          this.compactRequested = false;
          await this.fh?.close();
          this.fh = undefined;
          await this.rewrite();
          this.fh = await fs.open(this.file, 'a');
          this.stats.compactions++;
        }
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.stats.lines = this.lines;
    this.stats.live = this.live.size;
  }

  /** Atomic rewrite: temp file + fsync + rename + directory fsync. */
  private async rewrite(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const body = [...this.live.values()].map((json) => `{"v":1,"op":"put","job":${json}}\n`).join('');
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.write(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.file);
    await syncDir(path.dirname(this.file));
    this.lines = this.live.size;
    this.stats.lines = this.lines;
    this.stats.live = this.live.size;
  }

  // --- one process per journal -------------------------------------------------------------

  private get lockFile(): string {
    return `${this.file}.lock`;
  }

  private async acquireLock(): Promise<void> {
    const abs = path.resolve(this.file);
    if (OPEN_IN_THIS_PROCESS.has(abs)) {
      throw new StudioError('E_LOCKED', `the job journal ${this.file} is already open in this process`, { file: this.file });
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await fs.open(this.lockFile, 'wx');
        await fh.write(String(process.pid));
        await fh.close();
        this.locked = true;
        OPEN_IN_THIS_PROCESS.add(abs);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number((await fs.readFile(this.lockFile, 'utf8').catch(() => '')).trim());
        if (pid && pid !== process.pid && processAlive(pid)) {
          throw new StudioError(
            'E_LOCKED',
            `the job journal ${this.file} is in use by another studio process (pid ${pid}); close it or use another --data-dir`,
            { pid, file: this.file },
          );
        }
        // A stale lock from a process that died. Our own pid counts as stale too: containers
        // restart with the same pids, and a double open in this process was refused above.
        await fs.rm(this.lockFile, { force: true });
      }
    }
    throw new StudioError('E_LOCKED', `could not lock the job journal ${this.file}`, { file: this.file });
  }
}

const OPEN_IN_THIS_PROCESS = new Set<string>();

