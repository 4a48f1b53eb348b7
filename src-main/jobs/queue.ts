import { randomUUID } from 'node:crypto';
import type { EnhanceRequest } from '../contract/enhance';
import { StudioError, toErrorPayload } from '../contract/errors';
import { addLossPoint, type JobEvent, type JobInfo, type JobState } from '../contract/jobs';
import { assertTransition, isFinished, toJobInfo, uncountInterrupted, type JobRecord } from './record';
import type { JobStore } from './store';
import type { JobRunner } from './worker-pool';
import type { WorkerJobEvent } from './worker-protocol';

export interface EnqueueOptions {
  /** The watched folder this job came from. */
  watchId?: string;
  /**
   * Idempotency key (e.g. `${sha256 of the source}:${recipe}`): while a job with this key is
   * queued, running or done, enqueueing the key again returns that job instead of a new one
   * (after failed/cancelled a new job is made).
   */
  key?: string;
  /** Runs allowed when the worker process crashes (default: the queue's maxAttempts). */
  maxAttempts?: number;
  /** The library photo the job is made from. */
  imageId?: string;
}

export interface SubmitResult {
  job: JobInfo;
  /** True when the key was already known and no new job was made. */
  duplicate: boolean;
}

export interface JobFilter {
  watchId?: string;
  state?: JobState | readonly JobState[];
}

export interface JobQueueOptions {
  store: JobStore;
  runner: JobRunner;
  /** Jobs run at once (default 1). */
  concurrency?: number;
  /** Default runs per job when the worker crashes (default 1: a crash fails the job). */
  maxAttempts?: number;
  /** Start paused (nothing runs until resume()). */
  paused?: boolean;
  /** A failed journal write after the job was accepted (disk full...). */
  onStoreError?: (err: unknown) => void;
  /** After a job's done state is in the store (e.g. to drop what a redo would have needed). */
  afterDone?: (jobId: string) => void | Promise<void>;
  now?: () => number;
  newId?: () => string;
}

/**
 * What the studio needs of a job queue: the local one below (journal + worker pool on this
 * machine) or another backend beside it (e.g. a farm's shared queue). The service, the watched
 * folders and the front doors use only this.
 */
export interface Jobs {
  enqueue(request: EnhanceRequest, opts?: EnqueueOptions): Promise<JobInfo>;
  /** Like enqueue, and says whether the idempotency key found an existing job. */
  submit(request: EnhanceRequest, opts?: EnqueueOptions): Promise<SubmitResult>;
  /** E_NOT_FOUND when unknown. */
  get(id: string): JobInfo;
  find(id: string): JobInfo | undefined;
  list(filter?: JobFilter): JobInfo[];
  cancel(id: string): Promise<JobInfo>;
  retry(id: string): Promise<JobInfo>;
  /** Forget a finished job (its outputs stay). */
  remove(id: string): Promise<boolean>;
  /** State changes (each with the job as it is), progress, training, outputs. */
  subscribe(listener: (e: JobEvent) => void): () => void;
  /** Resolves when the job is done, failed or cancelled. */
  wait(id: string): Promise<JobInfo>;
  whenIdle(): Promise<void>;
  setConcurrency(n: number): void;
  pause(): void;
  resume(): void;
  /** Stop taking jobs; running ones resume on the next open (a shutdown is not a cancel). */
  close(): Promise<void>;
}

/**
 * The job queue: FIFO, `concurrency` jobs at a time, each a state machine
 * queued -> running -> done | failed | cancelled (failed/cancelled -> queued on retry).
 * Every accepted job is in the store before enqueue() resolves.
 */
export class JobQueue implements Jobs {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly byKey = new Map<string, string>();
  private order: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly settled = new Map<string, Promise<void>>();
  private readonly writes = new Set<Promise<void>>();
  private readonly lossStride = new Map<string, { n: number; stride: number }>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private idleWaiters: (() => void)[] = [];
  private concurrency: number;
  private paused: boolean;
  private closing = false;
  private readonly now: () => number;
  private readonly newId: () => string;
  private lastCreatedAt = 0;
  private lastSeq = 0;

  private constructor(private readonly opts: JobQueueOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.paused = opts.paused ?? false;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
  }

  /** Load the store (interrupted jobs come back queued) and start running. */
  static async open(opts: JobQueueOptions): Promise<JobQueue> {
    const q = new JobQueue(opts);
    const records = await opts.store.load();
    for (const r of records) {
      if (r.state === 'running') {
        r.state = 'queued'; // a store without recovery of its own: still never lose the job
        delete r.startedAt;
        uncountInterrupted(r);
      }
      q.jobs.set(r.id, r);
      if (r.key) q.byKey.set(r.key, r.id);
      if (r.state === 'queued') q.order.push(r.id);
      q.lastCreatedAt = Math.max(q.lastCreatedAt, r.createdAt);
      q.lastSeq = Math.max(q.lastSeq, r.seq ?? 0);
    }
    q.pump();
    return q;
  }

  // --- reading ------------------------------------------------------------------------------

  get(id: string): JobInfo {
    return toJobInfo(this.record(id));
  }

  find(id: string): JobInfo | undefined {
    const r = this.jobs.get(id);
    return r ? toJobInfo(r) : undefined;
  }

  findByKey(key: string): JobInfo | undefined {
    const id = this.byKey.get(key);
    return id ? this.find(id) : undefined;
  }

  list(filter: JobFilter = {}): JobInfo[] {
    const states = filter.state === undefined ? undefined : ([] as JobState[]).concat(filter.state);
    const out: JobInfo[] = [];
    for (const r of this.jobs.values()) {
      if (filter.watchId !== undefined && r.watchId !== filter.watchId) continue;
      if (states && !states.includes(r.state)) continue;
      out.push(toJobInfo(r));
    }
    return out;
  }

  counts(filter: Omit<JobFilter, 'state'> = {}): Record<JobState, number> {
    const c: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const r of this.jobs.values()) if (filter.watchId === undefined || r.watchId === filter.watchId) c[r.state]++;
    return c;
  }

  subscribe(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- writing ------------------------------------------------------------------------------

  async enqueue(request: EnhanceRequest, opts: EnqueueOptions = {}): Promise<JobInfo> {
    return (await this.submit(request, opts)).job;
  }

  async submit(request: EnhanceRequest, opts: EnqueueOptions = {}): Promise<SubmitResult> {
    if (this.closing) throw new StudioError('E_INTERNAL', 'the job queue is shutting down');
    if (opts.key !== undefined) {
      const existingId = this.byKey.get(opts.key);
      const existing = existingId === undefined ? undefined : this.jobs.get(existingId);
      if (existing && existing.state !== 'failed' && existing.state !== 'cancelled') {
        return { job: toJobInfo(existing), duplicate: true };
      }
    }
    // Strictly increasing creation times keep FIFO order stable across a reload.
    const createdAt = Math.max(this.now(), this.lastCreatedAt + 1);
    this.lastCreatedAt = createdAt;
    const rec: JobRecord = {
      id: this.newId(),
      request: structuredClone(request),
      state: 'queued',
      createdAt,
      // Fixed at acceptance and kept in the store: every attempt names its files the same way.
      seq: ++this.lastSeq,
      outputs: [],
      attempts: 0,
      ...(opts.watchId !== undefined ? { watchId: opts.watchId } : {}),
      ...(opts.key !== undefined ? { key: opts.key } : {}),
      ...(opts.imageId !== undefined ? { imageId: opts.imageId } : {}),
      maxAttempts: Math.max(1, opts.maxAttempts ?? this.opts.maxAttempts ?? 1),
    };
    this.jobs.set(rec.id, rec);
    if (rec.key) this.byKey.set(rec.key, rec.id);
    try {
      await this.opts.store.put(rec); // durable before anyone hears "queued"
    } catch (err) {
      this.jobs.delete(rec.id);
      if (rec.key) this.byKey.delete(rec.key);
      throw err;
    }
    this.order.push(rec.id);
    const accepted = toJobInfo(rec); // as accepted: pump() may start it right away
    this.emit({ type: 'state', jobId: rec.id, state: 'queued', job: accepted });
    this.pump();
    return { job: accepted, duplicate: false };
  }

  /** Cancel a queued or running job; resolves once it has stopped. Cancelling a cancelled job is a no-op. */
  async cancel(id: string): Promise<JobInfo> {
    const rec = this.record(id);
    if (rec.state === 'cancelled') return toJobInfo(rec);
    if (rec.state === 'queued') {
      this.order = this.order.filter((x) => x !== id);
      await this.transition(rec, 'cancelled', { error: { code: 'E_CANCELLED', message: 'cancelled before it started' } });
      this.checkIdle();
      return toJobInfo(rec);
    }
    if (rec.state === 'running') {
      this.running.get(id)?.abort();
      await this.settled.get(id);
      return toJobInfo(rec);
    }
    assertTransition(rec, 'cancelled'); // throws: done/failed cannot be cancelled
    return toJobInfo(rec);
  }

  /** Run a failed or cancelled job again (same id, attempts go on). */
  async retry(id: string): Promise<JobInfo> {
    const rec = this.record(id);
    assertTransition(rec, 'queued');
    rec.maxAttempts = Math.max(rec.maxAttempts ?? 1, (rec.attempts ?? 0) + 1);
    await this.transition(rec, 'queued');
    this.order.push(id);
    const accepted = toJobInfo(rec);
    this.pump();
    return accepted;
  }

  /** Forget a finished job (its outputs stay on disk). */
  async remove(id: string): Promise<boolean> {
    const rec = this.jobs.get(id);
    if (!rec) return false;
    if (!isFinished(rec.state)) {
      throw new StudioError('E_INVALID_ARGUMENT', `job ${id} is ${rec.state}; cancel it before removing it`);
    }
    this.jobs.delete(id);
    if (rec.key && this.byKey.get(rec.key) === id) this.byKey.delete(rec.key);
    await this.opts.store.delete(id);
    return true;
  }

  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, Math.floor(n));
    this.pump();
  }

  getConcurrency(): number {
    return this.concurrency;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves when the job is done, failed or cancelled. */
  wait(id: string): Promise<JobInfo> {
    return waitForJob(this, id);
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stop: no new jobs start; running ones are stopped but stay `running` in the store, so the
   * next open() queues them again (a shutdown is not a cancel).
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.paused = true;
    for (const ac of this.running.values()) ac.abort();
    await Promise.all([...this.settled.values()]);
    await Promise.all([...this.writes]);
    await this.opts.store.close();
  }

  // --- running ------------------------------------------------------------------------------

  private pump(): void {
    while (!this.paused && !this.closing && this.running.size < this.concurrency && this.order.length) {
      const id = this.order.shift() as string;
      const rec = this.jobs.get(id);
      if (!rec || rec.state !== 'queued') continue;
      this.start(rec);
    }
    this.checkIdle();
  }

  private start(rec: JobRecord): void {
    const ac = new AbortController();
    this.running.set(rec.id, ac);
    rec.attempts = (rec.attempts ?? 0) + 1;
    rec.outputs = [];
    delete rec.error;
    delete rec.finishedAt;
    delete rec.progress;
    delete rec.loss;
    this.lossStride.delete(rec.id);
    const done = this.execute(rec, ac).finally(() => {
      this.running.delete(rec.id);
      this.settled.delete(rec.id);
      this.pump();
    });
    this.settled.set(rec.id, done);
  }

  private async execute(rec: JobRecord, ac: AbortController): Promise<void> {
    rec.startedAt = this.now();
    // Journal writes of a running job go on beside the work (appends stay in order); they do
    // not delay the job's start or the next job's.
    this.track(this.transition(rec, 'running'));
    try {
      const result = await this.opts.runner.run(toJobInfo(rec), {
        signal: ac.signal,
        onEvent: (e) => this.onWorkerEvent(rec, e),
      });
      rec.outputs = [...new Set([...rec.outputs, ...result.outputs])];
      if (result.backend) rec.backend = result.backend;
      if (result.cacheHit !== undefined) rec.cacheHit = result.cacheHit;
      rec.finishedAt = this.now();
      this.track(
        this.transition(rec, 'done').then(async () => {
          try {
            await this.opts.afterDone?.(rec.id);
          } catch (err) {
            console.error(`after job ${rec.id} was done: ${(err as Error).message}`); // the job itself is done and recorded
          }
        }),
      );
      this.emit({ type: 'output', jobId: rec.id, files: [...rec.outputs] });
    } catch (err) {
      const error = toErrorPayload(err);
      if (this.closing) {
        // Shutdown: leave the durable record `running`; reopening queues it again.
        rec.state = 'queued';
        delete rec.startedAt;
        return;
      }
      rec.finishedAt = this.now();
      if (ac.signal.aborted || error.code === 'E_CANCELLED') {
        this.track(this.transition(rec, 'cancelled', { error: { code: 'E_CANCELLED', message: error.message } }));
        return;
      }
      const attempts = rec.attempts ?? 1;
      if (error.code === 'E_WORKER_CRASHED' && attempts < (rec.maxAttempts ?? 1)) {
        this.emit({
          type: 'info',
          jobId: rec.id,
          message: `${error.message}; retrying (attempt ${attempts + 1} of ${rec.maxAttempts})`,
        });
        delete rec.finishedAt;
        this.track(this.transition(rec, 'queued', { error }));
        this.order.unshift(rec.id); // it was first in line: keep its place
        return;
      }
      this.track(this.transition(rec, 'failed', { error }));
    }
  }

  private onWorkerEvent(rec: JobRecord, e: WorkerJobEvent): void {
    if (rec.state !== 'running') return;
    switch (e.type) {
      case 'progress':
        rec.progress = e.progress;
        this.emit({ type: 'progress', jobId: rec.id, progress: e.progress });
        return;
      case 'train':
        this.recordLoss(rec, e.step, e.loss, e.lr);
        this.emit({ ...e, jobId: rec.id });
        return;
      case 'info':
        if (e.backend) rec.backend = e.backend;
        if (e.cacheHit !== undefined) rec.cacheHit = e.cacheHit;
        this.emit({ ...e, jobId: rec.id });
        return;
      case 'output':
        rec.outputs = [...new Set([...rec.outputs, ...e.files])];
        this.emit({ type: 'output', jobId: rec.id, files: e.files });
        return;
    }
  }

  /** The curve in JobInfo, thinned by the contract's one rule (addLossPoint). */
  private recordLoss(rec: JobRecord, step: number, loss: number, lr: number): void {
    let s = this.lossStride.get(rec.id);
    if (!s) this.lossStride.set(rec.id, (s = { n: 0, stride: 1 }));
    rec.loss = addLossPoint(rec.loss ?? [], { step, loss, lr }, s);
  }

  private async transition(rec: JobRecord, to: JobState, extra: Pick<JobRecord, 'error'> = {}): Promise<void> {
    assertTransition(rec, to);
    rec.state = to;
    if (extra.error) rec.error = extra.error;
    else if (to === 'queued' || to === 'running' || to === 'done') delete rec.error;
    if (to === 'queued') {
      delete rec.startedAt;
      delete rec.finishedAt;
      delete rec.progress;
    }
    this.emit({ type: 'state', jobId: rec.id, state: to, ...(rec.error && to !== 'running' ? { error: rec.error } : {}), job: toJobInfo(rec) });
    try {
      await this.opts.store.put(rec);
    } catch (err) {
      (this.opts.onStoreError ?? ((e) => console.error('job store write failed:', e)))(err);
    }
  }

  private track(write: Promise<void>): void {
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  private record(id: string): JobRecord {
    const r = this.jobs.get(id);
    if (!r) throw new StudioError('E_NOT_FOUND', `no job with id ${id}`, { jobId: id });
    return r;
  }

  private emit(e: JobEvent): void {
    emitJobEvent(this.listeners, e);
  }

  private isIdle(): boolean {
    return this.running.size === 0 && !this.order.some((id) => this.jobs.get(id)?.state === 'queued');
  }

  private checkIdle(): void {
    if (!this.isIdle() || !this.idleWaiters.length) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}

/** Resolves when the job is done, failed or cancelled (from any queue's state events). */
export function waitForJob(jobs: Pick<Jobs, 'get' | 'subscribe'>, id: string): Promise<JobInfo> {
  const job = jobs.get(id);
  if (isFinished(job.state)) return Promise.resolve(job);
  return new Promise((resolve) => {
    const off = jobs.subscribe((e) => {
      if (e.type === 'state' && e.jobId === id && isFinished(e.state)) {
        off();
        resolve(jobs.get(id));
      }
    });
  });
}

export function emitJobEvent(listeners: Iterable<(e: JobEvent) => void>, e: JobEvent): void {
  for (const l of listeners) {
    try {
      l(e);
    } catch {
      // one listener's failure must not stop the queue
    }
  }
}
