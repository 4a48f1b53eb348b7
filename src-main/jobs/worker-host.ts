import { StudioError, fromErrorPayload } from '../contract/errors';
import {
  WORKER_QUERIES,
  WorkerMessage,
  type HostMessage,
  type WorkerJob,
  type WorkerJobEvent,
  type WorkerJobResult,
  type WorkerQueryArgs,
  type WorkerQueryName,
  type WorkerQueryResult,
} from './worker-protocol';

// The supervised engine process. The host talks to it through a `WorkerProcess` made by a
// `SpawnWorker` adapter: child_process.fork here (child-process.ts), Electron's utilityProcess in
// the desktop app; everything else (protocol, crash detection, cancel, restart) is shared.

/** A running worker process as seen by the host; the adapter hides child_process vs utilityProcess. */
export interface WorkerProcess {
  readonly pid: number | undefined;
  send(msg: HostMessage): void;
  /** Hard kill (SIGKILL or the platform's equivalent). */
  kill(): void;
}

export interface WorkerProcessHandlers {
  onMessage(msg: unknown): void;
  /** Exactly once, when the process is gone. `signal` is null where the platform has none. */
  onExit(info: { code: number | null; signal: string | null }): void;
  /** stdout/stderr text, if the adapter can capture it (kept for crash reports). */
  onOutput?(stream: 'stdout' | 'stderr', text: string): void;
}

export type SpawnWorker = (handlers: WorkerProcessHandlers) => WorkerProcess;

/** Typed lifecycle events: what a supervisor, a log or a test needs to see. */
export type WorkerLifecycleEvent =
  | { type: 'spawn'; hostId: number; pid: number | undefined }
  | { type: 'ready'; hostId: number; pid: number | undefined; startMs: number }
  | { type: 'exit'; hostId: number; pid: number | undefined; code: number | null; signal: string | null; expected: boolean }
  | {
      type: 'crash';
      hostId: number;
      pid: number | undefined;
      reason: string;
      code: number | null;
      signal: string | null;
      jobId?: string;
      stderr: string;
    }
  | { type: 'log'; hostId: number; level: 'info' | 'warn' | 'error'; message: string };

export interface RunHandlers {
  /** Aborting cancels the job in the worker; a worker that does not stop in time is killed. */
  signal?: AbortSignal;
  onEvent?(e: WorkerJobEvent): void;
}

/** One supervised worker that runs one job at a time. */
export interface WorkerHost {
  readonly id: number;
  /** The process id while a process is alive. */
  readonly pid: number | undefined;
  readonly busy: boolean;
  /** Spawn the process (if not running) and wait until it is ready. */
  start(): Promise<void>;
  /** Run one job; rejects with the job's coded error, E_CANCELLED or E_WORKER_CRASHED. */
  run(job: WorkerJob, handlers?: RunHandlers): Promise<WorkerJobResult>;
  /** Cancel the running job if it is `jobId` (same as aborting its signal). */
  cancel(jobId: string): void;
  query<Q extends WorkerQueryName>(q: Q, ...args: WorkerQueryArgs<Q>): Promise<WorkerQueryResult<Q>>;
  onLifecycle(listener: (e: WorkerLifecycleEvent) => void): () => void;
  /** Ask the process to exit (killed after a grace period); a running job ends as E_CANCELLED. */
  stop(): Promise<void>;
}

export interface ProcessWorkerHostOptions {
  id?: number;
  /** How long a fresh process may take to report ready (tsx + tfjs load on a busy machine). */
  readyTimeoutMs?: number;
  /** After a cancel, how long the worker may take to stop before it is killed. */
  cancelGraceMs?: number;
  /** On stop(), how long before the process is killed. */
  stopGraceMs?: number;
}

interface Current {
  jobId: string;
  resolve(r: WorkerJobResult): void;
  reject(e: unknown): void;
  onEvent?: (e: WorkerJobEvent) => void;
  cancelled: boolean;
  cancelTimer?: NodeJS.Timeout;
  detach(): void;
}

interface PendingReady {
  resolve(): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

const STDERR_TAIL = 8192;
let nextHostId = 1;

/** Why a process died, in words a person can act on. */
export function describeExit(code: number | null, signal: string | null, stderr: string): string {
  if (/heap out of memory|allocation failed|std::bad_alloc|ENOMEM|out of memory/i.test(stderr)) {
    return 'out of memory';
  }
  if (signal === 'SIGKILL') return 'killed by SIGKILL (the system may have run out of memory)';
  if (signal) return `killed by ${signal}`;
  if (code === 134) return 'aborted (exit code 134)';
  return `exited with code ${code ?? 'unknown'}`;
}

export class ProcessWorkerHost implements WorkerHost {
  readonly id: number;
  private proc: WorkerProcess | undefined;
  private ready: Promise<void> | undefined;
  private pendingReady: PendingReady | undefined;
  private current: Current | undefined;
  private readonly queries = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextQueryId = 1;
  private generation = 0;
  private expectingExit = false;
  private stderrTail = '';
  private spawnedAt = 0;
  private readonly listeners = new Set<(e: WorkerLifecycleEvent) => void>();
  private exitWaiters: (() => void)[] = [];
  private readonly opts: Required<Omit<ProcessWorkerHostOptions, 'id'>>;

  constructor(
    private readonly spawn: SpawnWorker,
    opts: ProcessWorkerHostOptions = {},
  ) {
    this.id = opts.id ?? nextHostId++;
    this.opts = {
      readyTimeoutMs: opts.readyTimeoutMs ?? 120_000,
      cancelGraceMs: opts.cancelGraceMs ?? 10_000,
      stopGraceMs: opts.stopGraceMs ?? 5_000,
    };
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  onLifecycle(listener: (e: WorkerLifecycleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: WorkerLifecycleEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a listener's bug must not break supervision
      }
    }
  }

  start(): Promise<void> {
    if (this.ready) return this.ready;
    const gen = ++this.generation;
    this.expectingExit = false;
    this.stderrTail = '';
    this.spawnedAt = Date.now();
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (gen !== this.generation) return;
        const err = new StudioError(
          'E_WORKER_CRASHED',
          `the engine process did not start within ${Math.round(this.opts.readyTimeoutMs / 1000)} s`,
          { reason: 'start timeout', stderr: this.stderrTail },
        );
        this.pendingReady = undefined;
        reject(err);
        this.expectingExit = true;
        this.proc?.kill();
      }, this.opts.readyTimeoutMs);
      this.pendingReady = { resolve, reject, timer };
    });
    this.ready.catch(() => undefined); // observed by callers; never an unhandled rejection
    try {
      this.proc = this.spawn({
        onMessage: (m) => {
          if (gen === this.generation) this.handleMessage(m);
        },
        onExit: ({ code, signal }) => {
          if (gen === this.generation) this.handleExit(code, signal);
        },
        onOutput: (stream, text) => {
          if (gen !== this.generation || stream !== 'stderr') return;
          this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
        },
      });
    } catch (err) {
      const p = this.pendingReady;
      this.pendingReady = undefined;
      this.ready = undefined;
      if (p) clearTimeout(p.timer);
      const e = new StudioError('E_WORKER_CRASHED', `the engine process could not be started: ${(err as Error).message}`, {
        reason: 'spawn failed',
      });
      return Promise.reject(e);
    }
    this.emit({ type: 'spawn', hostId: this.id, pid: this.proc.pid });
    return this.ready;
  }

  async run(job: WorkerJob, handlers: RunHandlers = {}): Promise<WorkerJobResult> {
    if (this.current) throw new StudioError('E_INTERNAL', `worker ${this.id} is already running job ${this.current.jobId}`);
    const { signal } = handlers;
    if (signal?.aborted) throw new StudioError('E_CANCELLED', 'cancelled before it started');
    await this.start();
    if (signal?.aborted) throw new StudioError('E_CANCELLED', 'cancelled before it started');
    const proc = this.proc;
    if (!proc) throw new StudioError('E_WORKER_CRASHED', 'the engine process stopped before the job could start');
    return new Promise<WorkerJobResult>((resolve, reject) => {
      const onAbort = () => this.cancel(job.jobId);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.current = {
        jobId: job.jobId,
        resolve,
        reject,
        onEvent: handlers.onEvent,
        cancelled: false,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      proc.send({ type: 'run', jobId: job.jobId, request: job.request, options: job.options });
    });
  }

  cancel(jobId: string): void {
    const cur = this.current;
    if (!cur || cur.jobId !== jobId || cur.cancelled) return;
    cur.cancelled = true;
    this.proc?.send({ type: 'cancel', jobId });
    // A worker stuck in a long synchronous step cannot hear us: kill it after a grace period.
    cur.cancelTimer = setTimeout(() => {
      if (this.current === cur) {
        this.expectingExit = true;
        this.proc?.kill();
      }
    }, this.opts.cancelGraceMs);
  }

  async query<Q extends WorkerQueryName>(q: Q, ...args: WorkerQueryArgs<Q>): Promise<WorkerQueryResult<Q>> {
    await this.start();
    const proc = this.proc;
    if (!proc) throw new StudioError('E_WORKER_CRASHED', 'the engine process is not running');
    const id = this.nextQueryId++;
    const raw = await new Promise<unknown>((resolve, reject) => {
      this.queries.set(id, { resolve, reject });
      proc.send({ type: 'query', id, query: q, args });
    });
    const parsed = WORKER_QUERIES[q].result.safeParse(raw);
    if (!parsed.success) throw new StudioError('E_INTERNAL', `the engine process sent a malformed '${q}' answer`);
    return parsed.data as WorkerQueryResult<Q>;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.expectingExit = true;
    if (this.current) this.current.cancelled = true;
    const gone = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    try {
      proc.send({ type: 'shutdown' });
    } catch {
      proc.kill();
    }
    const timer = setTimeout(() => proc.kill(), this.opts.stopGraceMs);
    await gone;
    clearTimeout(timer);
  }

  // --- incoming -------------------------------------------------------------------------------

  private handleMessage(raw: unknown): void {
    const parsed = WorkerMessage.safeParse(raw);
    if (!parsed.success) {
      this.emit({ type: 'log', hostId: this.id, level: 'warn', message: `ignored a malformed worker message: ${parsed.error.message}` });
      return;
    }
    const m = parsed.data;
    switch (m.type) {
      case 'ready': {
        const p = this.pendingReady;
        this.pendingReady = undefined;
        if (p) {
          clearTimeout(p.timer);
          this.emit({ type: 'ready', hostId: this.id, pid: this.proc?.pid, startMs: Date.now() - this.spawnedAt });
          p.resolve();
        }
        return;
      }
      case 'event':
        if (this.current?.jobId === m.jobId) this.current.onEvent?.(m.event);
        return;
      case 'result': {
        const cur = this.current;
        if (!cur || cur.jobId !== m.jobId) return;
        this.finishCurrent();
        if (m.result.ok) cur.resolve(m.result.value);
        else cur.reject(fromErrorPayload(m.result.error));
        return;
      }
      case 'reply': {
        const q = this.queries.get(m.id);
        if (!q) return;
        this.queries.delete(m.id);
        if (m.result.ok) q.resolve(m.result.value);
        else q.reject(fromErrorPayload(m.result.error));
        return;
      }
      case 'log':
        this.emit({ type: 'log', hostId: this.id, level: m.level, message: m.message });
        return;
    }
  }

  private finishCurrent(): void {
    const cur = this.current;
    if (!cur) return;
    clearTimeout(cur.cancelTimer);
    cur.detach();
    this.current = undefined;
  }

  private handleExit(code: number | null, signal: string | null): void {
    const pid = this.proc?.pid;
    const expected = this.expectingExit;
    this.proc = undefined;
    this.ready = undefined;
    this.generation++; // late messages of the dead process are ignored
    this.emit({ type: 'exit', hostId: this.id, pid, code, signal, expected });
    const reason = describeExit(code, signal, this.stderrTail);
    const cur = this.current;
    if (!expected) {
      this.emit({ type: 'crash', hostId: this.id, pid, reason, code, signal, stderr: this.stderrTail, ...(cur ? { jobId: cur.jobId } : {}) });
    }
    const crash = (what: string) =>
      new StudioError('E_WORKER_CRASHED', `the engine process stopped ${what}: ${reason}`, {
        reason,
        exitCode: code,
        signal,
        stderr: this.stderrTail.slice(-2000),
      });
    const p = this.pendingReady;
    this.pendingReady = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(crash('while starting'));
    }
    if (cur) {
      this.finishCurrent();
      if (cur.cancelled) cur.reject(new StudioError('E_CANCELLED', 'cancelled (the engine process was stopped)'));
      else cur.reject(crash('while running this job'));
    }
    for (const q of this.queries.values()) q.reject(crash('before it answered'));
    this.queries.clear();
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
  }
}
