import fs from 'node:fs/promises';
import path from 'node:path';
import type { EnhanceRequest } from '../contract/enhance';
import { toErrorPayload } from '../contract/errors';
import type { JobEvent, JobInfo } from '../contract/jobs';
import { MAX_ATTEMPTS, type WatchContext } from './context';
import type { Duplicates } from './duplicates';
import type { LedgerEntry } from './ledger';

/**
 * Hands queued entries to the job queue, at most `concurrency` at a time, and follows their jobs
 * to done / failed / skipped. Retries are the queue's (a job may crash the engine MAX_ATTEMPTS
 * times); a watch only submits each photo once per content.
 */
export class Dispatch {
  /** Queued entries not yet handed to the job queue, in arrival order. */
  private pending: string[] = [];
  /** jobId -> rel of entries whose job is in the queue. */
  private readonly inflight = new Map<string, string>();
  /** rel of entries being submitted (slot taken, job id not known yet). */
  private readonly submitting = new Set<string>();
  private readonly jobStart = new Map<string, number>();
  /** The state changes of a job being applied, one after another. */
  private readonly applying = new Map<string, Promise<void>>();

  constructor(
    private readonly w: WatchContext,
    private readonly dup: Duplicates,
    /** After an entry's job ended (detection looks at a file changed meanwhile). */
    private readonly afterJob: (rel: string, file: string) => Promise<void>,
    /** Whether jobs may start now (not while the source folder is missing). */
    private readonly canRun: () => boolean,
  ) {}

  get idle(): boolean {
    return this.pending.length === 0 && this.inflight.size === 0 && this.submitting.size === 0;
  }

  add(rel: string): void {
    this.pending.push(rel);
    this.pump();
  }

  /** In line, started by the next pump (recovery, before the watch runs). */
  queueLater(rel: string): void {
    this.pending.push(rel);
  }

  busy(rel: string): boolean {
    return this.submitting.has(rel);
  }

  withdraw(rel: string): void {
    this.pending = this.pending.filter((r) => r !== rel);
  }

  /** Listen for a recorded job before asking about it (recovery), so no event falls between the two. */
  follow(jobId: string, rel: string): void {
    this.inflight.set(jobId, rel);
  }

  unfollow(jobId: string): void {
    this.inflight.delete(jobId);
  }

  /** The start time of a job, for the duration reported with its outcome. */
  startedAt(job: JobInfo): number | undefined {
    const t = this.jobStart.get(job.id) ?? job.startedAt;
    this.jobStart.delete(job.id);
    return t;
  }

  pump(): void {
    const { config, ledger } = this.w;
    if (this.w.stopped || config.paused || !this.canRun()) return;
    const limit = config.options.concurrency;
    const busyHashes = new Set<string>();
    for (const rel of [...this.inflight.values(), ...this.submitting]) {
      const h = ledger.get(rel)?.hash;
      if (h) busyHashes.add(h);
    }
    const deferred: string[] = [];
    while (this.inflight.size + this.submitting.size < limit && this.pending.length) {
      const rel = this.pending.shift() as string;
      const e = ledger.get(rel);
      if (!e || e.state !== 'queued' || e.jobId || this.submitting.has(rel)) continue;
      // Same content already on its way: wait for it, then this one is a duplicate (or retried).
      if (config.options.skipDuplicates && e.hash && busyHashes.has(e.hash)) {
        deferred.push(rel);
        continue;
      }
      if (e.hash) busyHashes.add(e.hash);
      this.submitting.add(rel);
      this.w.background(
        this.submit(e)
          .catch(async (err) => {
            // The queue refused it (closing, disk full...): a failed entry, not a silent loss.
            const cur = ledger.get(rel);
            if (!this.w.stopped && cur && cur.state === 'queued' && !cur.jobId) {
              await this.w.finish({ ...cur, state: 'failed', error: toErrorPayload(err), updatedAt: Date.now() });
            }
          })
          .finally(() => {
            this.submitting.delete(rel);
            this.pump();
            this.w.checkIdle();
          }),
      );
    }
    this.pending.unshift(...deferred);
  }

  private async submit(e: LedgerEntry): Promise<void> {
    const { ledger, config } = this.w;
    if (!(await fs.stat(e.path).catch(() => undefined))) {
      await this.w.finish({ ...e, state: 'skipped', gone: true, note: 'removed before it was processed', updatedAt: Date.now() });
      return;
    }
    // Re-check against outputs finished meanwhile (a twin may have completed while this waited).
    const twin = this.dup.twinOf(e.hash, e.rel, config.options.skipDuplicates);
    if (twin !== undefined) {
      await this.w.finish({ ...e, state: 'skipped', note: `duplicate of ${twin}`, outputs: ledger.get(twin)?.outputs ?? [], updatedAt: Date.now() });
      return;
    }
    const attempts = e.key ? e.attempts : e.attempts + 1;
    const key = e.key ?? `${this.w.id}:${e.rel}:${e.hash ?? ''}:${attempts}`;
    // The intent (key) is durable before the queue hears of it: after a crash the same key is
    // offered again and an idempotent queue answers with the job it already has.
    await ledger.put({ ...e, attempts, key, updatedAt: Date.now() });
    const job = await this.w.deps.jobs.enqueue(this.requestFor(e), { watchId: this.w.id, key, maxAttempts: MAX_ATTEMPTS });
    this.inflight.set(job.id, e.rel);
    // The job id need not be durable here: after a crash the key finds the same job again.
    const cur = ledger.get(e.rel) as LedgerEntry;
    ledger.remember({ ...cur, jobId: job.id });
    // Events may have passed while enqueue was resolving: take the queue's current word.
    await this.applyJob(e.rel, (await this.w.deps.jobs.get(job.id)) ?? job);
  }

  requestFor(e: LedgerEntry): EnhanceRequest {
    const r = this.w.config.recipe;
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

  onJobEvent(ev: JobEvent): void {
    if (this.w.stopped) return;
    const rel = this.inflight.get(ev.jobId);
    if (rel === undefined || ev.type !== 'state') return;
    // The event carries the job as it was then; the state changes of one job apply in order.
    const snapshot = ev.job ? Promise.resolve(ev.job) : this.w.deps.jobs.get(ev.jobId);
    const prev = this.applying.get(ev.jobId) ?? Promise.resolve();
    const next = prev
      .then(() => snapshot)
      .then((job) => (job ? this.applyJob(rel, job) : undefined))
      .catch((err) => this.w.deps.onError?.(this.w.id, err))
      .finally(() => {
        if (this.applying.get(ev.jobId) === next) this.applying.delete(ev.jobId);
      });
    this.applying.set(ev.jobId, next);
  }

  /** Bring an entry in line with its job's state. */
  async applyJob(rel: string, job: JobInfo): Promise<void> {
    const { ledger } = this.w;
    const e = ledger.get(rel);
    if (!e || (e.jobId !== undefined && e.jobId !== job.id)) return;
    if (this.inflight.get(job.id) !== rel) return; // already finished by an earlier event
    const now = Date.now();
    switch (job.state) {
      case 'queued':
        if (e.state !== 'queued') await ledger.put({ ...e, state: 'queued', jobId: job.id, updatedAt: now });
        else if (e.jobId !== job.id) ledger.remember({ ...e, jobId: job.id });
        return;
      case 'running':
        if (e.state !== 'running') {
          this.jobStart.set(job.id, job.startedAt ?? now);
          await ledger.put({ ...e, state: 'running', jobId: job.id, updatedAt: now });
        }
        return;
      case 'done':
        this.inflight.delete(job.id);
        this.dup.markDone(e.hash, rel);
        await this.w.finish({ ...e, state: 'done', jobId: job.id, outputs: [...job.outputs], updatedAt: now }, job);
        break;
      case 'failed': {
        this.inflight.delete(job.id);
        const error = job.error ?? { code: 'E_INTERNAL' as const, message: 'job failed without a reason' };
        const gone = !(await fs.stat(e.path).catch(() => undefined));
        if (gone && (error.code === 'E_FILE_NOT_FOUND' || error.code === 'E_EMPTY_FILE')) {
          await this.w.finish({ ...e, state: 'skipped', gone: true, jobId: job.id, note: 'removed before it was processed', updatedAt: now });
        } else {
          await this.w.finish({ ...e, state: 'failed', jobId: job.id, error, updatedAt: now }, job);
        }
        break;
      }
      case 'cancelled':
        this.inflight.delete(job.id);
        await this.w.finish({ ...e, state: 'skipped', jobId: job.id, note: 'job cancelled', updatedAt: now }, job);
        break;
    }
    await this.afterJob(rel, e.path);
    this.pump();
    this.w.checkIdle();
  }
}
