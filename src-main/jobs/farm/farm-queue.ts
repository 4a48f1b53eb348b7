import { createHash, randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { EnhanceRequest } from '../../contract/enhance';
import { StudioError, type ErrorPayload } from '../../contract/errors';
import type { FarmWorker, RedisQueueSetting } from '../../contract/farm';
import { addLossPoint, type JobEvent, type JobInfo, type JobState } from '../../contract/jobs';
import { emitJobEvent, waitForJob, type EnqueueOptions, type JobFilter, type Jobs, type SubmitResult } from '../queue';
import { isFinished } from '../record';
import { checkRedis, DEFAULT_PREFIX, QUEUE_NAME, redactUrl, redisConnection, type RedisConnection } from './connection';
import { decodeError, farmKeys, FarmJobData, FarmJobResult } from './protocol';
import { WorkerJobEvent } from '../worker-protocol';

export interface FarmQueueOptions {
  setting: RedisQueueSetting;
  /** How long Redis may be unreachable before the unfinished jobs are shown failed (default 30 s). */
  unavailableMs?: number;
  /** How long a call may wait for Redis (default 10 s). */
  callTimeoutMs?: number;
  onWarning?: (message: string) => void;
}

type Data = FarmJobData;

/** A job id from an idempotency key (BullMQ ids may not hold ':'). */
export function farmJobId(key: string): string {
  return `k-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/**
 * The farm's queue as the coordinator (serve, watch, enhance) sees it: jobs live in a BullMQ
 * queue on Redis and run on `studio worker` processes anywhere. The job id is the submission's
 * idempotency key, so a photo dropped twice, or submitted again after a crash, is one job.
 * Reads answer from a view kept current by BullMQ's events.
 */
export class FarmQueue implements Jobs {
  private readonly jobs = new Map<string, JobInfo>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly lossStride = new Map<string, { n: number; stride: number }>();
  private idleWaiters: (() => void)[] = [];
  private downTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly keys;

  private constructor(
    readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly redis: Redis,
    private readonly opts: FarmQueueOptions,
    readonly prefix: string,
  ) {
    this.keys = farmKeys(prefix, QUEUE_NAME);
  }

  static async open(opts: FarmQueueOptions): Promise<FarmQueue> {
    const connection: RedisConnection = redisConnection(opts.setting);
    const prefix = opts.setting.prefix ?? DEFAULT_PREFIX;
    const timeout = opts.callTimeoutMs ?? 10_000;
    await checkRedis(opts.setting, timeout); // a wrong password is an error now, not a client retrying for ever
    const redis = new Redis({ ...connection, lazyConnect: true });
    redis.on('error', () => undefined); // reconnects on its own; outages are reported by the timer below
    try {
      await withTimeout(redis.connect(), timeout, `cannot reach the farm's Redis at ${redactUrl(opts.setting.url)}`);
    } catch (err) {
      redis.disconnect();
      throw err instanceof StudioError ? err : new StudioError('E_FARM_UNAVAILABLE', `cannot reach the farm's Redis at ${redactUrl(opts.setting.url)}: ${(err as Error).message}`);
    }
    const queue = new Queue(QUEUE_NAME, { connection, prefix });
    const events = new QueueEvents(QUEUE_NAME, { connection, prefix });
    queue.on('error', () => undefined);
    events.on('error', () => undefined);
    const q = new FarmQueue(queue, events, redis, opts, prefix);
    await withTimeout(events.waitUntilReady(), timeout, 'the farm queue did not answer');
    q.listen();
    await q.resync();
    return q;
  }

  // --- reading ------------------------------------------------------------------------------

  get(id: string): JobInfo {
    const j = this.jobs.get(id);
    if (!j) throw new StudioError('E_NOT_FOUND', `no job with id ${id}`, { jobId: id });
    return structuredClone(j);
  }

  find(id: string): JobInfo | undefined {
    const j = this.jobs.get(id);
    return j ? structuredClone(j) : undefined;
  }

  list(filter: JobFilter = {}): JobInfo[] {
    const states = filter.state === undefined ? undefined : ([] as JobState[]).concat(filter.state);
    return [...this.jobs.values()]
      .filter((j) => (filter.watchId === undefined || j.watchId === filter.watchId) && (!states || states.includes(j.state)))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((j) => structuredClone(j));
  }

  subscribe(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The workers connected to this queue (BullMQ names each connection after its machine). */
  async workers(): Promise<FarmWorker[]> {
    const list = await this.call(this.queue.getWorkers());
    return list.map((w) => ({
      name: String(w.rawname ?? w.name ?? '').replace(/^.*:w:/, ''),
      ...(w.addr ? { addr: String(w.addr) } : {}),
      ...(w.age !== undefined ? { ageS: Number(w.age) } : {}),
      ...(w.idle !== undefined ? { idleS: Number(w.idle) } : {}),
    }));
  }

  // --- writing ------------------------------------------------------------------------------

  async enqueue(request: EnhanceRequest, opts: EnqueueOptions = {}): Promise<JobInfo> {
    return (await this.submit(request, opts)).job;
  }

  async submit(request: EnhanceRequest, opts: EnqueueOptions = {}): Promise<SubmitResult> {
    if (this.closing) throw new StudioError('E_INTERNAL', 'the job queue is shutting down');
    const id = opts.key !== undefined ? farmJobId(opts.key) : randomUUID();
    if (opts.key !== undefined) {
      const existing = await this.call(Job.fromId<Data>(this.queue, id));
      if (existing) {
        const info = await this.refresh(id);
        if (info && info.state !== 'failed' && info.state !== 'cancelled') return { job: info, duplicate: true };
        await this.call(existing.remove()); // failed or cancelled: a new job under the same key
      }
    }
    const seq = await this.call(this.redis.incr(this.keys.seq));
    const data: Data = {
      request: structuredClone(request),
      createdAt: Date.now(),
      seq,
      ...(opts.watchId !== undefined ? { watchId: opts.watchId } : {}),
      ...(opts.imageId !== undefined ? { imageId: opts.imageId } : {}),
    };
    await this.call(this.redis.srem(this.keys.cancelled, id));
    // A worker's crash is retried `maxAttempts` times (BullMQ's attempts); coded errors are final.
    const job = await this.call(this.queue.add('enhance', data, { jobId: id, attempts: Math.max(1, opts.maxAttempts ?? 3) }));
    const info = toInfo(job, 'queued');
    this.set(info);
    return { job: structuredClone(info), duplicate: false };
  }

  async cancel(id: string): Promise<JobInfo> {
    const info = this.get(id);
    if (info.state === 'cancelled') return info;
    if (isFinished(info.state)) throw new StudioError('E_INVALID_ARGUMENT', `job ${id} is ${info.state}; it cannot become cancelled`, { jobId: id, state: info.state });
    // Every worker hears the cancel; one that takes the job later sees it in the set.
    await this.call(this.redis.sadd(this.keys.cancelled, id));
    await this.call(this.redis.publish(this.keys.channel, id));
    const job = await this.call(Job.fromId<Data>(this.queue, id));
    if (job && (await this.call(job.getState())) !== 'active') {
      try {
        await this.call(job.remove());
        const cancelled: JobInfo = { ...info, state: 'cancelled', finishedAt: Date.now(), error: { code: 'E_CANCELLED', message: 'cancelled before it started' } };
        this.set(cancelled);
        return structuredClone(cancelled);
      } catch {
        // taken by a worker meanwhile: it stops on the published cancel
      }
    }
    return this.wait(id);
  }

  async retry(id: string): Promise<JobInfo> {
    const info = this.get(id);
    if (info.state !== 'failed' && info.state !== 'cancelled') {
      throw new StudioError('E_INVALID_ARGUMENT', `job ${id} is ${info.state}; it cannot become queued`, { jobId: id, state: info.state });
    }
    await this.call(this.redis.srem(this.keys.cancelled, id));
    const job = await this.call(Job.fromId<Data>(this.queue, id));
    if (job) await this.call(job.retry('failed'));
    else {
      const data: Data = { request: info.request, createdAt: info.createdAt, ...(info.seq ? { seq: info.seq } : {}), ...(info.watchId ? { watchId: info.watchId } : {}), ...(info.imageId ? { imageId: info.imageId } : {}) };
      await this.call(this.queue.add('enhance', data, { jobId: id, attempts: 3 }));
    }
    return (await this.refresh(id)) ?? this.get(id);
  }

  async remove(id: string): Promise<boolean> {
    const info = this.jobs.get(id);
    if (!info) return false;
    if (!isFinished(info.state)) throw new StudioError('E_INVALID_ARGUMENT', `job ${id} is ${info.state}; cancel it before removing it`);
    const job = await this.call(Job.fromId<Data>(this.queue, id));
    if (job) await this.call(job.remove());
    this.jobs.delete(id);
    this.checkIdle();
    return true;
  }

  wait(id: string): Promise<JobInfo> {
    return waitForJob(this, id);
  }

  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Each worker sets its own concurrency (`studio worker --concurrency`). */
  setConcurrency(): void {}

  /** Pauses the whole farm: no worker takes a new job. */
  pause(): void {
    void this.queue.pause().catch(() => undefined);
  }

  resume(): void {
    void this.queue.resume().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.downTimer);
    // A Redis that is gone would keep a graceful close waiting: give it a moment, then cut.
    const graceful = Promise.allSettled([this.events.close(), this.queue.close()]);
    const cut = () => Promise.allSettled([this.events.disconnect(), this.queue.disconnect()]);
    await Promise.race([graceful, new Promise((r) => setTimeout(r, 2000).unref()).then(() => Promise.race([cut(), new Promise((r) => setTimeout(r, 1000).unref())]))]);
    this.redis.disconnect();
  }

  // --- the view -----------------------------------------------------------------------------

  private listen(): void {
    const refresh = ({ jobId }: { jobId: string }) => void this.refresh(jobId);
    for (const name of ['added', 'waiting', 'active', 'completed', 'failed', 'stalled', 'retries-exhausted'] as const) this.events.on(name, refresh);
    this.events.on('removed', ({ jobId }) => {
      const j = this.jobs.get(jobId);
      if (j && !isFinished(j.state)) void this.refresh(jobId);
    });
    this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data));
    // Redis gone: after a grace period the jobs still open are shown failed (never a silent hang);
    // when it is back, the view is read again and they show what Redis says.
    this.redis.on('close', () => {
      if (this.closing || this.downTimer) return;
      this.downTimer = setTimeout(() => this.markUnavailable(), this.opts.unavailableMs ?? 30_000);
      this.downTimer.unref();
    });
    this.redis.on('ready', () => {
      clearTimeout(this.downTimer);
      this.downTimer = undefined;
      void this.resync().catch(() => undefined);
    });
  }

  private markUnavailable(): void {
    const error: ErrorPayload = { code: 'E_FARM_UNAVAILABLE', message: `the farm's Redis at ${redactUrl(this.opts.setting.url)} cannot be reached` };
    this.opts.onWarning?.(error.message);
    for (const j of this.jobs.values()) if (!isFinished(j.state)) this.set({ ...j, state: 'failed', error, finishedAt: Date.now() });
  }

  private async resync(): Promise<void> {
    const all = await this.call(this.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'], 0, -1, true));
    for (const j of all) {
      if (!j?.id) continue;
      await this.refresh(j.id);
    }
  }

  /** Reads one job from Redis into the view (one read at a time per job, in order). */
  private refresh(id: string): Promise<JobInfo | undefined> {
    const run = (this.chains.get(id) ?? Promise.resolve()).then(async () => {
      const job = await Job.fromId<Data>(this.queue, id);
      if (!job) return;
      const state = await job.getState();
      const info = toInfo(job, mapState(state, job), this.jobs.get(id));
      if (info) this.set(info);
    });
    const settled = run.catch(() => undefined);
    this.chains.set(id, settled);
    void settled.then(() => {
      if (this.chains.get(id) === settled) this.chains.delete(id);
    });
    return settled.then(() => this.find(id));
  }

  private onProgress(id: string, data: unknown): void {
    const j = this.jobs.get(id);
    const parsed = WorkerJobEvent.safeParse(data);
    if (!j || !parsed.success) return;
    const e = parsed.data;
    if (j.state !== 'running') this.set({ ...j, state: 'running' });
    const cur = this.jobs.get(id) as JobInfo;
    if (e.type === 'progress') cur.progress = e.progress;
    if (e.type === 'train') {
      let s = this.lossStride.get(id);
      if (!s) this.lossStride.set(id, (s = { n: 0, stride: 1 }));
      cur.loss = addLossPoint(cur.loss ?? [], { step: e.step, loss: e.loss, lr: e.lr }, s);
    }
    if (e.type === 'info') {
      if (e.backend) cur.backend = e.backend;
      if (e.cacheHit !== undefined) cur.cacheHit = e.cacheHit;
    }
    this.emit({ ...e, jobId: id } as JobEvent);
  }

  private set(info: JobInfo): void {
    const prev = this.jobs.get(info.id);
    if (prev && info.state === 'running' && prev.state === 'running') info = { ...prev, ...info, loss: prev.loss, progress: info.progress ?? prev.progress };
    this.jobs.set(info.id, info);
    if (!prev || prev.state !== info.state || (info.state === 'running' && prev.worker !== info.worker)) {
      if (info.state === 'queued' || info.state === 'running') this.lossStride.delete(info.id);
      this.emit({ type: 'state', jobId: info.id, state: info.state, ...(info.error && info.state !== 'running' ? { error: info.error } : {}), job: structuredClone(info) });
      if (info.state === 'done') this.emit({ type: 'output', jobId: info.id, files: [...info.outputs] });
    }
    this.checkIdle();
  }

  private emit(e: JobEvent): void {
    emitJobEvent(this.listeners, e);
  }

  private isIdle(): boolean {
    return [...this.jobs.values()].every((j) => isFinished(j.state));
  }

  private checkIdle(): void {
    if (!this.isIdle() || !this.idleWaiters.length) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** A Redis call that fails with E_FARM_UNAVAILABLE instead of waiting for ever. */
  private call<T>(p: Promise<T>): Promise<T> {
    return withTimeout(p, this.opts.callTimeoutMs ?? 10_000, `the farm's Redis at ${redactUrl(this.opts.setting.url)} did not answer`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new StudioError('E_FARM_UNAVAILABLE', message)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

function mapState(state: string, job: Job<Data>): JobState {
  switch (state) {
    case 'completed':
      return 'done';
    case 'failed':
      return decodeError(job.failedReason).code === 'E_CANCELLED' ? 'cancelled' : 'failed';
    case 'active':
      return 'running';
    default:
      return 'queued';
  }
}

function toInfo(job: Job<Data>, state: JobState, prev?: JobInfo): JobInfo {
  const data = FarmJobData.parse(job.data);
  const result = state === 'done' ? FarmJobResult.safeParse(job.returnvalue) : undefined;
  const r = result?.success ? result.data : undefined;
  const error = state === 'failed' || state === 'cancelled' ? decodeError(job.failedReason) : undefined;
  const worker = r?.worker ?? job.processedBy;
  return {
    id: String(job.id),
    request: data.request,
    state,
    createdAt: data.createdAt,
    ...(data.seq ? { seq: data.seq } : {}),
    outputs: r?.outputs ?? [],
    attempts: job.attemptsStarted,
    ...(data.watchId ? { watchId: data.watchId } : {}),
    ...(data.imageId ? { imageId: data.imageId } : {}),
    ...(state !== 'queued' && job.processedOn ? { startedAt: job.processedOn } : {}),
    ...(isFinished(state) && job.finishedOn ? { finishedAt: job.finishedOn } : {}),
    ...(worker && state !== 'queued' ? { worker: worker.replace(/^.*:w:/, '') } : {}),
    ...(r?.backend ? { backend: r.backend } : {}),
    ...(r?.cacheHit !== undefined ? { cacheHit: r.cacheHit } : {}),
    ...(error ? { error } : {}),
    ...(state === 'running' && prev?.progress ? { progress: prev.progress } : {}),
    ...(prev?.loss && state !== 'queued' ? { loss: prev.loss } : {}),
  };
}

