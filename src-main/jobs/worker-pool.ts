import type { JobInfo } from '../contract/jobs';
import type { RunHandlers, WorkerHost, WorkerLifecycleEvent } from './worker-host';
import type {
  WorkerJobResult,
  WorkerQueryArgs,
  WorkerQueryName,
  WorkerQueryResult,
  WorkerRunOptions,
} from './worker-protocol';

/** What the queue needs to execute a job; a pool of worker processes is the real one. */
export interface JobRunner {
  run(job: JobInfo, handlers: Required<Pick<RunHandlers, 'signal'>> & RunHandlers): Promise<WorkerJobResult>;
}

export interface WorkerPoolOptions {
  /** Makes one supervised worker (child process, utilityProcess...). */
  createHost: () => WorkerHost;
  /** Worker processes at most (each runs one job at a time). */
  size: number;
  /** Folders, limits and attempt number for a job. */
  runOptions: (job: JobInfo) => WorkerRunOptions;
  /** Stop a worker after this long without work (frees the engine's memory); default never. */
  idleTimeoutMs?: number;
}

/** Runs jobs on up to `size` worker processes, spawned on demand and restarted after a crash. */
export class WorkerPool implements JobRunner {
  private readonly hosts: WorkerHost[] = [];
  private readonly leased = new Set<WorkerHost>();
  private readonly idleTimers = new Map<WorkerHost, NodeJS.Timeout>();
  private readonly waiters: ((h: WorkerHost) => void)[] = [];
  private readonly listeners = new Set<(e: WorkerLifecycleEvent) => void>();
  private size: number;
  private disposed = false;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.size = Math.max(1, opts.size);
  }

  /** Lifecycle events of every worker in the pool. */
  onLifecycle(listener: (e: WorkerLifecycleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Live workers (for supervision and tests). */
  workers(): readonly WorkerHost[] {
    return this.hosts;
  }

  async run(job: JobInfo, handlers: Required<Pick<RunHandlers, 'signal'>> & RunHandlers): Promise<WorkerJobResult> {
    const host = await this.acquire();
    try {
      return await host.run({ jobId: job.id, request: job.request, options: this.opts.runOptions(job) }, handlers);
    } finally {
      this.release(host);
    }
  }

  /** Ask the engine something (models, backends); any worker can answer. */
  async query<Q extends WorkerQueryName>(q: Q, ...args: WorkerQueryArgs<Q>): Promise<WorkerQueryResult<Q>> {
    const host = this.hosts.find((h) => !this.leased.has(h)) ?? this.hosts[0] ?? this.addHost();
    this.touch(host);
    return host.query(q, ...args);
  }

  resize(size: number): void {
    this.size = Math.max(1, size);
    // Idle workers beyond the new size stop now; busy ones when their job ends (release()).
    for (const h of [...this.hosts]) {
      if (this.hosts.length <= this.size) break;
      if (!this.leased.has(h)) this.removeHost(h);
    }
    while (this.waiters.length && this.hosts.length < this.size) this.waiters.shift()?.(this.lease(this.addHost()));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    await Promise.all(this.hosts.splice(0).map((h) => h.stop()));
  }

  // --- leasing ------------------------------------------------------------------------------

  private acquire(): Promise<WorkerHost> {
    const free = this.hosts.find((h) => !this.leased.has(h));
    if (free) return Promise.resolve(this.lease(free));
    if (this.hosts.length < this.size) return Promise.resolve(this.lease(this.addHost()));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private lease(h: WorkerHost): WorkerHost {
    this.leased.add(h);
    clearTimeout(this.idleTimers.get(h));
    this.idleTimers.delete(h);
    return h;
  }

  private release(h: WorkerHost): void {
    this.leased.delete(h);
    if (this.disposed) return;
    if (this.hosts.length > this.size) {
      this.removeHost(h);
      return;
    }
    const next = this.waiters.shift();
    if (next) {
      next(this.lease(h));
      return;
    }
    this.touch(h);
  }

  private touch(h: WorkerHost): void {
    const ms = this.opts.idleTimeoutMs;
    if (!ms || this.leased.has(h)) return;
    clearTimeout(this.idleTimers.get(h));
    const t = setTimeout(() => {
      this.idleTimers.delete(h);
      if (!this.leased.has(h) && !h.busy) void h.stop();
    }, ms);
    t.unref();
    this.idleTimers.set(h, t);
  }

  private addHost(): WorkerHost {
    const h = this.opts.createHost();
    h.onLifecycle((e) => {
      for (const l of this.listeners) l(e);
    });
    this.hosts.push(h);
    return h;
  }

  private removeHost(h: WorkerHost): void {
    const i = this.hosts.indexOf(h);
    if (i >= 0) this.hosts.splice(i, 1);
    clearTimeout(this.idleTimers.get(h));
    this.idleTimers.delete(h);
    void h.stop();
  }
}
