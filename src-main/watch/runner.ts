import fs from 'node:fs/promises';
import path from 'node:path';
import type { EnhanceRequest } from '../contract/enhance';
import { type ErrorPayload, toErrorPayload } from '../contract/errors';
import type { JobEvent, JobInfo } from '../contract/jobs';
import type { WatchConfig, WatchFilesPage, WatchFilesQuery, WatchInfo, WatchRunState } from '../contract/watch';
import { createFileFilter } from './filter';
import { hashFile } from './hash';
import type { WatchJobPort } from './job-port';
import { type LedgerEntry, toWatchFile, WatchLedger } from './ledger';
import { acquireLock, type WatchLock } from './lock';
import { relPosix } from './paths';
import { type FileSeen, SourceWatcher } from './source-watcher';
import { processAlive } from '../jobs/durable';

/** One line per file outcome (the CLI prints it; the service turns it into an event). */
export interface WatchFileReport {
  watchId: string;
  rel: string;
  state: 'done' | 'failed' | 'skipped';
  outputs: string[];
  error?: ErrorPayload;
  note?: string;
  /** Time from the job's start to its end, when a job ran. */
  ms?: number;
}

export interface WatchRunnerDeps {
  jobs: WatchJobPort;
  /** Folder holding this watch's journal and lock (<dataDir>/watch/<id>). */
  stateDir: string;
  /** Folders no watch may look into (every watch's output root...). */
  excludedDirs: () => readonly string[];
  onFile?: (r: WatchFileReport) => void;
  /** Watch-level news: paused, waiting for the source, resumed. */
  onStatus?: (watchId: string, message: string) => void;
  onError?: (watchId: string, err: unknown) => void;
  /** Presence check and rescan periods (tests shorten them). */
  presenceMs?: number;
  rescanMs?: number;
}

/** Worker crashes tolerated per photo before it is marked failed (a poison file must not loop). */
export const MAX_ATTEMPTS = 3;
const HASH_CONCURRENCY = 2;

/**
 * Runs one watched folder: turns arriving files into journal entries and jobs, at most
 * `concurrency` jobs in the queue at a time, and follows them to done/failed.
 */
export class WatchRunner {
  private readonly ledger: WatchLedger;
  private lock: WatchLock | undefined;
  private source: SourceWatcher | undefined;
  private unsubscribe: (() => void) | undefined;
  private runState: WatchRunState = 'stopped';
  private reason: ErrorPayload | undefined;
  /** Queued entries not yet handed to the job queue, in arrival order. */
  private pending: string[] = [];
  /** jobId -> rel of entries whose job is in the queue. */
  private readonly inflight = new Map<string, string>();
  /** rel of entries being submitted (slot taken, job id not known yet). */
  private readonly submitting = new Set<string>();
  private readonly jobStart = new Map<string, number>();
  /** Content hash -> rel of the entry that produced outputs for it. */
  private readonly doneByHash = new Map<string, string>();
  private readonly detecting = new Set<string>();
  private readonly detectAgain = new Map<string, FileSeen>();
  private hashSlots = HASH_CONCURRENCY;
  private readonly hashWaiters: (() => void)[] = [];
  private stopped = true;
  private idleWaiters: (() => void)[] = [];

  constructor(
    public config: WatchConfig,
    private readonly deps: WatchRunnerDeps,
  ) {
    this.ledger = new WatchLedger(deps.stateDir);
  }

  get id(): string {
    return this.config.id;
  }

  get journalFile(): string {
    return this.ledger.file;
  }

  /** Journal cost so far (fsyncs, records, ms), for the benchmark. */
  get journalPerf(): { syncs: number; records: number; ms: number } {
    return { ...this.ledger.perf };
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    try {
      this.lock = await acquireLock(this.deps.stateDir);
      try {
        await this.ledger.open();
      } catch (err) {
        await this.lock.release();
        throw err;
      }
    } catch (err) {
      this.reason = toErrorPayload(err); // shown with state 'stopped'
      throw err;
    }
    this.reason = undefined;
    this.stopped = false;
    this.runState = 'starting';
    this.unsubscribe = this.deps.jobs.subscribe((e) => this.onJobEvent(e));
    await this.recover();
    if (this.config.paused) this.runState = 'paused';
    else await this.startSource();
    this.pump();
  }

  /** Stops watching; jobs already in the queue keep going and are picked up by the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.runState = 'stopped';
    await this.source?.stop();
    this.source = undefined;
    this.unsubscribe?.();
    await this.ledger.close();
    await this.lock?.release();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  async pause(): Promise<void> {
    this.config = { ...this.config, paused: true };
    if (this.stopped) return;
    await this.source?.stop();
    this.source = undefined;
    this.runState = 'paused';
    this.reason = undefined;
    this.deps.onStatus?.(this.id, 'paused');
  }

  async resume(): Promise<void> {
    this.config = { ...this.config, paused: false };
    if (this.stopped) return;
    if (!this.source) await this.startSource();
    this.deps.onStatus?.(this.id, 'resumed');
    this.pump();
  }

  info(): WatchInfo {
    return {
      ...structuredClone(this.config),
      state: this.runState,
      ...(this.reason ? { reason: this.reason } : {}),
      counts: this.ledger.counts(),
    };
  }

  files(q: WatchFilesQuery = {}): WatchFilesPage {
    const all = this.ledger.all().filter((e) => !q.state || e.state === q.state);
    all.sort((a, b) => b.updatedAt - a.updatedAt || a.rel.localeCompare(b.rel));
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 500;
    return { counts: this.ledger.counts(), total: all.length, files: all.slice(offset, offset + limit).map(toWatchFile) };
  }

  /** Resolves when nothing is being detected, waiting or running (for embedders and scripts). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private isIdle(): boolean {
    return this.detecting.size === 0 && this.pending.length === 0 && this.inflight.size === 0 && this.submitting.size === 0;
  }

  /** Run without awaiting; a failure is reported, never an unhandled rejection (which would end the process). */
  private background(p: Promise<unknown>): void {
    p.catch((err) => {
      if (!this.stopped) this.deps.onError?.(this.id, err);
    });
  }

  private checkIdle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---- start-up -------------------------------------------------------------------------

  /** Entries left queued/running by the last run: follow their jobs, or queue them again. */
  private async recover(): Promise<void> {
    for (const e of this.ledger.all()) {
      if (e.state === 'done' && e.hash) this.doneByHash.set(e.hash, e.rel);
    }
    const open = this.ledger.all().filter((e) => e.state === 'queued' || e.state === 'running');
    open.sort((a, b) => a.detectedAt - b.detectedAt);
    // A write cut short by the crash leaves its temp file beside the outputs: clear them.
    const dirs = new Set(open.filter((e) => e.jobId || e.state === 'running').map((e) => this.requestFor(e).output?.dir ?? this.config.recipe.outDir));
    for (const d of dirs) await removeStaleTemps(d);
    for (const e of open) {
      // Listen for the job before asking about it, so no event falls between the two.
      if (e.jobId) this.inflight.set(e.jobId, e.rel);
      const job = e.jobId ? await this.deps.jobs.get(e.jobId).catch(() => undefined) : undefined;
      if (job) {
        await this.applyJob(e.rel, job);
      } else {
        if (e.jobId) this.inflight.delete(e.jobId);
        // Never reached the queue, or the queue forgot it: queue it again. The key is kept when
        // the job id was never recorded, so a queue that did get it returns the same job.
        const back: LedgerEntry = { ...e, state: 'queued', updatedAt: Date.now() };
        delete back.jobId;
        if (e.jobId) delete back.key;
        await this.ledger.put(back);
        this.pending.push(e.rel);
      }
    }
  }

  private async startSource(): Promise<void> {
    const { config } = this;
    const filter = createFileFilter(config.source, {
      recursive: config.options.recursive,
      include: config.options.include,
      exclude: config.options.exclude,
      excludedDirs: this.deps.excludedDirs,
    });
    this.source = new SourceWatcher(
      config.source,
      filter,
      {
        recursive: config.options.recursive,
        stableMs: config.options.stableMs,
        ...(this.deps.presenceMs ? { presenceMs: this.deps.presenceMs } : {}),
        ...(this.deps.rescanMs ? { rescanMs: this.deps.rescanMs } : {}),
      },
      {
        file: (f) => this.seen(f),
        unlink: (abs) => this.background(this.unlinked(abs)),
        missing: (why) => {
          this.runState = 'waiting';
          this.reason = { code: 'E_WATCH_SOURCE_MISSING', message: `${why}; the watch resumes when it is back` };
          this.deps.onStatus?.(this.id, this.reason.message);
        },
        back: () => {
          this.runState = 'active';
          this.reason = undefined;
          this.deps.onStatus?.(this.id, `source folder ${config.source} is back; watching again`);
          this.pump();
        },
        scanned: (files) => this.background(this.scanned(files)),
        error: (err) => this.deps.onError?.(this.id, err),
      },
    );
    await this.source.start();
    if (this.runState === 'starting' || this.runState === 'paused') this.runState = 'active';
  }

  private async scanned(files: FileSeen[]): Promise<void> {
    if (!this.ledger.baselineDone && !this.config.options.existing) {
      // Only new files: what is already there when the watch is first started is noted, not processed.
      // A file written after the watch was created is new, even if the scan saw it first.
      const now = Date.now();
      const puts: Promise<void>[] = [];
      for (const f of files) {
        const rel = relPosix(this.config.source, f.abs);
        if (this.ledger.get(rel) || this.detecting.has(rel)) continue;
        if (f.mtimeMs >= this.config.createdAt) {
          this.seen(f);
          continue;
        }
        puts.push(
          this.safePut({
            rel, path: f.abs, size: f.size, mtimeMs: f.mtimeMs, state: 'skipped', outputs: [], attempts: 0,
            note: 'already in the folder when the watch was created', detectedAt: now, updatedAt: now,
          }),
        );
      }
      await Promise.all(puts); // one group commit, not one fsync per file
    } else {
      for (const f of files) this.seen(f);
    }
    if (!this.ledger.baselineDone) await this.ledger.setBaselineDone().catch((err) => this.deps.onError?.(this.id, err));
    this.checkIdle();
  }

  // ---- detection ------------------------------------------------------------------------

  private seen(f: FileSeen): void {
    if (this.stopped) return;
    const rel = relPosix(this.config.source, f.abs);
    if (this.detecting.has(rel)) {
      this.detectAgain.set(rel, f);
      return;
    }
    this.detecting.add(rel);
    this.background(
      this.detect(rel, f).finally(() => {
        this.detecting.delete(rel);
        const again = this.detectAgain.get(rel);
        this.detectAgain.delete(rel);
        if (again) this.seen(again);
        else this.checkIdle();
      }),
    );
  }

  private async detect(rel: string, seen: FileSeen): Promise<void> {
    let f: FileSeen | undefined = seen;
    const known = this.ledger.get(rel);
    if (known && !known.gone && known.size === f.size && known.mtimeMs === f.mtimeMs) return; // nothing new
    if (f.via === 'scan') f = await this.waitStable(f); // chokidar events are stable already
    if (!f || this.stopped) return;
    const now = Date.now();
    const base = { rel, path: f.abs, size: f.size, mtimeMs: f.mtimeMs, outputs: [], attempts: 0, detectedAt: now, updatedAt: now };
    if (known && (known.state === 'queued' || known.state === 'running')) {
      // Changed while waiting or running: the running job reads whatever it reads; the new
      // content gets its own turn once that job ends (detectAgain is re-armed by onFinished).
      if (known.jobId || this.submitting.has(rel)) {
        this.changedWhileBusy.add(rel);
        return;
      }
    }
    if (f.size === 0) {
      await this.finish({ ...base, state: 'failed', error: { code: 'E_EMPTY_FILE', message: `${rel} is empty (0 bytes)` } });
      return;
    }
    const hash = await this.withHashSlot(() => hashFile(f.abs)).catch(() => undefined);
    if (!hash || this.stopped) return; // vanished while hashing: its unlink event says so
    if (known && !known.gone && known.hash === hash && (known.state === 'done' || known.state === 'skipped')) {
      await this.safePut({ ...known, size: f.size, mtimeMs: f.mtimeMs }); // touched, same content
      return;
    }
    const twin = this.config.options.skipDuplicates ? this.doneByHash.get(hash) : undefined;
    if (twin !== undefined && twin !== rel) {
      const prev = this.ledger.get(twin);
      await this.finish({ ...base, hash, state: 'skipped', note: `duplicate of ${twin}`, outputs: prev?.outputs ?? [] });
      return;
    }
    await this.safePut({ ...base, hash, state: 'queued' });
    this.pending.push(rel);
    this.pump();
  }
  private readonly changedWhileBusy = new Set<string>();

  /** For files found by a scan: wait until size and mtime hold still for stableMs. */
  private async waitStable(f: FileSeen): Promise<FileSeen | undefined> {
    const stableMs = this.config.options.stableMs;
    let cur = f;
    let since = Date.now();
    if (Date.now() - f.mtimeMs >= stableMs) return f;
    while (!this.stopped) {
      await new Promise((r) => setTimeout(r, Math.min(250, stableMs)));
      const s = await fs.stat(f.abs).catch(() => undefined);
      if (!s || !s.isFile()) return undefined;
      if (s.size !== cur.size || s.mtimeMs !== cur.mtimeMs) {
        cur = { ...cur, size: s.size, mtimeMs: s.mtimeMs };
        since = Date.now();
      } else if (Date.now() - since >= stableMs) return cur;
    }
    return undefined;
  }

  private async withHashSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.hashSlots === 0) await new Promise<void>((r) => this.hashWaiters.push(r));
    this.hashSlots--;
    try {
      return await fn();
    } finally {
      this.hashSlots++;
      this.hashWaiters.shift()?.();
    }
  }

  private async unlinked(abs: string): Promise<void> {
    const rel = relPosix(this.config.source, abs);
    const e = this.ledger.get(rel);
    if (!e || e.state !== 'queued' || e.jobId || this.submitting.has(rel)) return;
    this.pending = this.pending.filter((r) => r !== rel);
    await this.finish({ ...e, state: 'skipped', gone: true, note: 'removed before it was processed', updatedAt: Date.now() });
    this.checkIdle();
  }

  // ---- jobs -----------------------------------------------------------------------------

  private pump(): void {
    if (this.stopped || this.config.paused || this.runState === 'waiting') return;
    const limit = this.config.options.concurrency;
    const busyHashes = new Set<string>();
    for (const rel of [...this.inflight.values(), ...this.submitting]) {
      const h = this.ledger.get(rel)?.hash;
      if (h) busyHashes.add(h);
    }
    const deferred: string[] = [];
    while (this.inflight.size + this.submitting.size < limit && this.pending.length) {
      const rel = this.pending.shift() as string;
      const e = this.ledger.get(rel);
      if (!e || e.state !== 'queued' || e.jobId || this.submitting.has(rel)) continue;
      // Same content already on its way: wait for it, then this one is a duplicate (or retried).
      if (this.config.options.skipDuplicates && e.hash && busyHashes.has(e.hash)) {
        deferred.push(rel);
        continue;
      }
      if (e.hash) busyHashes.add(e.hash);
      this.submitting.add(rel);
      this.background(
        this.submit(e)
          .catch(async (err) => {
            // The queue refused it (closing, disk full...): a failed entry, not a silent loss.
            const cur = this.ledger.get(rel);
            if (!this.stopped && cur && cur.state === 'queued' && !cur.jobId) {
              await this.finish({ ...cur, state: 'failed', error: toErrorPayload(err), updatedAt: Date.now() });
            }
          })
          .finally(() => {
            this.submitting.delete(rel);
            this.pump();
            this.checkIdle();
          }),
      );
    }
    this.pending.unshift(...deferred);
  }

  private async submit(e: LedgerEntry): Promise<void> {
    if (!(await fs.stat(e.path).catch(() => undefined))) {
      await this.finish({ ...e, state: 'skipped', gone: true, note: 'removed before it was processed', updatedAt: Date.now() });
      return;
    }
    // Re-check against outputs finished meanwhile (a twin may have completed while this waited).
    const twin = this.config.options.skipDuplicates && e.hash ? this.doneByHash.get(e.hash) : undefined;
    if (twin !== undefined && twin !== e.rel) {
      await this.finish({ ...e, state: 'skipped', note: `duplicate of ${twin}`, outputs: this.ledger.get(twin)?.outputs ?? [], updatedAt: Date.now() });
      return;
    }
    const attempts = e.key ? e.attempts : e.attempts + 1;
    const key = e.key ?? `${this.id}:${e.rel}:${e.hash ?? ''}:${attempts}`;
    // The intent (key) is durable before the queue hears of it: after a crash the same key is
    // offered again and an idempotent queue answers with the job it already has.
    await this.ledger.put({ ...e, attempts, key, updatedAt: Date.now() });
    const job = await this.deps.jobs.enqueue(this.requestFor(e), { watchId: this.id, key, maxAttempts: MAX_ATTEMPTS });
    this.inflight.set(job.id, e.rel);
    // The job id need not be durable here: after a crash the key finds the same job again.
    const cur = this.ledger.get(e.rel) as LedgerEntry;
    this.ledger.remember({ ...cur, jobId: job.id });
    // Events may have passed while enqueue was resolving: take the queue's current word.
    await this.applyJob(e.rel, (await this.deps.jobs.get(job.id)) ?? job);
  }

  private requestFor(e: LedgerEntry): EnhanceRequest {
    const r = this.config.recipe;
    const relDir = path.posix.dirname(e.rel);
    const dir = relDir === '.' ? r.outDir : path.join(r.outDir, ...relDir.split('/'));
    return {
      input: e.path,
      method: r.method,
      scale: r.scale,
      ...(r.preset ? { preset: r.preset } : {}),
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
      ...(r.exportPresets?.length ? { exportPresets: r.exportPresets } : {}),
      // Same input, same output name: a redo after a crash replaces its own output, never adds one.
      output: { dir, overwrite: true, ...(r.format ? { format: r.format } : {}), ...(r.quality ? { quality: r.quality } : {}) },
    };
  }

  private onJobEvent(ev: JobEvent): void {
    if (this.stopped) return;
    const rel = this.inflight.get(ev.jobId);
    if (rel === undefined) return;
    if (ev.type === 'state') {
      void this.deps.jobs
        .get(ev.jobId)
        .then((job) => (job ? this.applyJob(rel, job) : undefined))
        .catch((err) => this.deps.onError?.(this.id, err));
    }
  }

  /** Bring an entry in line with its job's state. */
  private async applyJob(rel: string, job: JobInfo): Promise<void> {
    const e = this.ledger.get(rel);
    if (!e || e.jobId !== undefined && e.jobId !== job.id) return;
    if (this.inflight.get(job.id) !== rel) return; // already finished by an earlier event
    const now = Date.now();
    switch (job.state) {
      case 'queued':
        if (e.state !== 'queued') await this.ledger.put({ ...e, state: 'queued', jobId: job.id, updatedAt: now });
        else if (e.jobId !== job.id) this.ledger.remember({ ...e, jobId: job.id });
        return;
      case 'running':
        if (e.state !== 'running') {
          this.jobStart.set(job.id, job.startedAt ?? now);
          await this.ledger.put({ ...e, state: 'running', jobId: job.id, updatedAt: now });
        }
        return;
      case 'done':
        this.inflight.delete(job.id);
        if (e.hash) this.doneByHash.set(e.hash, rel);
        await this.finish({ ...e, state: 'done', jobId: job.id, outputs: [...job.outputs], updatedAt: now }, job);
        break;
      case 'failed': {
        this.inflight.delete(job.id);
        const error = job.error ?? { code: 'E_INTERNAL' as const, message: 'job failed without a reason' };
        const gone = !(await fs.stat(e.path).catch(() => undefined));
        if (gone && (error.code === 'E_FILE_NOT_FOUND' || error.code === 'E_EMPTY_FILE')) {
          await this.finish({ ...e, state: 'skipped', gone: true, jobId: job.id, note: 'removed before it was processed', updatedAt: now });
        } else if (error.code === 'E_WORKER_CRASHED' && e.attempts < MAX_ATTEMPTS && (job.attempts ?? 1) < MAX_ATTEMPTS) {
          // A queue that does not retry crashes itself: try again with a fresh key.
          const again: LedgerEntry = { ...e, state: 'queued', updatedAt: now };
          delete again.jobId;
          delete again.key;
          await this.ledger.put(again);
          this.pending.unshift(rel);
        } else {
          await this.finish({ ...e, state: 'failed', jobId: job.id, error, updatedAt: now }, job);
        }
        break;
      }
      case 'cancelled':
        this.inflight.delete(job.id);
        await this.finish({ ...e, state: 'skipped', jobId: job.id, note: 'job cancelled', updatedAt: now }, job);
        break;
    }
    // The file changed while its job ran: look at it again now.
    if (this.changedWhileBusy.delete(rel)) {
      const s = await fs.stat(e.path).catch(() => undefined);
      if (s?.isFile()) this.seen({ abs: e.path, size: s.size, mtimeMs: s.mtimeMs, via: 'event' });
    }
    this.pump();
    this.checkIdle();
  }

  /** Record a final state and report it. */
  private async finish(e: LedgerEntry, job?: JobInfo): Promise<void> {
    await this.safePut(e);
    if (job && this.deps.jobs.forget) await this.deps.jobs.forget(job.id).catch(() => undefined);
    if (e.state !== 'done' && e.state !== 'failed' && e.state !== 'skipped') return;
    const started = job ? this.jobStart.get(job.id) ?? job.startedAt : undefined;
    if (job) this.jobStart.delete(job.id);
    this.deps.onFile?.({
      watchId: this.id,
      rel: e.rel,
      state: e.state,
      outputs: e.outputs,
      ...(e.error ? { error: e.error } : {}),
      ...(e.note ? { note: e.note } : {}),
      ...(started !== undefined && job?.finishedAt ? { ms: job.finishedAt - started } : {}),
    });
  }

  private async safePut(e: LedgerEntry): Promise<void> {
    try {
      await this.ledger.put(e);
    } catch (err) {
      this.deps.onError?.(this.id, err);
      throw err;
    }
  }
}

/** imaging's writeFileAtomic names its temp files `.<name>.<pid>.<8 hex>.tmp`. */
const TEMP_OUTPUT = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Delete temp files of writers that are gone (a live writer may still rename its file). */
async function removeStaleTemps(dir: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const m = TEMP_OUTPUT.exec(n);
    if (!m || processAlive(Number(m[1]))) continue;
    await fs.rm(path.join(dir, n), { force: true }).catch(() => undefined);
  }
}
