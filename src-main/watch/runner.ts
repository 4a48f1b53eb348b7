import type { ErrorPayload } from '../contract/errors';
import { toErrorPayload } from '../contract/errors';
import type { JobInfo } from '../contract/jobs';
import type { WatchConfig, WatchFilesPage, WatchFilesQuery, WatchInfo, WatchRunState } from '../contract/watch';
import type { WatchContext, WatchRunnerDeps } from './context';
import { Detection } from './detection';
import { Dispatch } from './dispatch';
import { Duplicates } from './duplicates';
import { createFileFilter } from './filter';
import { type LedgerEntry, toWatchFile, WatchLedger } from './ledger';
import { acquireLock, type WatchLock } from './lock';
import { recover } from './recovery';
import { SourceWatcher } from './source-watcher';

export { MAX_ATTEMPTS, type WatchFileReport, type WatchRunnerDeps } from './context';

/**
 * Runs one watched folder: its lock and journal, the source watcher, and the parts that turn
 * arriving files into journal entries (detection.ts) and entries into jobs (dispatch.ts), after
 * picking up what the last run left (recovery.ts).
 */
export class WatchRunner implements WatchContext {
  readonly ledger: WatchLedger;
  private lock: WatchLock | undefined;
  private source: SourceWatcher | undefined;
  private unsubscribe: (() => void) | undefined;
  private runState: WatchRunState = 'stopped';
  private reason: ErrorPayload | undefined;
  private readonly dup = new Duplicates();
  private readonly dispatch: Dispatch;
  private readonly detection: Detection;
  stopped = true;
  private idleWaiters: (() => void)[] = [];

  constructor(
    public config: WatchConfig,
    readonly deps: WatchRunnerDeps,
  ) {
    this.ledger = new WatchLedger(deps.stateDir);
    this.dispatch = new Dispatch(
      this,
      this.dup,
      (rel, file) => this.detection.afterJob(rel, file),
      () => this.runState !== 'waiting',
    );
    this.detection = new Detection(this, this.dup, this.dispatch);
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
    this.unsubscribe = this.deps.jobs.subscribe((e) => this.dispatch.onJobEvent(e));
    this.dup.load(this.ledger.all());
    await recover(this, this.dispatch);
    if (this.config.paused) this.runState = 'paused';
    else await this.startSource();
    this.dispatch.pump();
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
    this.dispatch.pump();
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
    return this.detection.idle && this.dispatch.idle;
  }

  background(p: Promise<unknown>): void {
    p.catch((err) => {
      if (!this.stopped) this.deps.onError?.(this.id, err);
    });
  }

  checkIdle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
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
        file: (f) => this.detection.seen(f),
        unlink: (abs) => this.background(this.detection.unlinked(abs)),
        missing: (why) => {
          this.runState = 'waiting';
          this.reason = { code: 'E_WATCH_SOURCE_MISSING', message: `${why}; the watch resumes when it is back` };
          this.deps.onStatus?.(this.id, this.reason.message);
        },
        back: () => {
          this.runState = 'active';
          this.reason = undefined;
          this.deps.onStatus?.(this.id, `source folder ${config.source} is back; watching again`);
          this.dispatch.pump();
        },
        scanned: (files) => this.background(this.detection.scanned(files)),
        error: (err) => this.deps.onError?.(this.id, err),
      },
    );
    await this.source.start();
    if (this.runState === 'starting' || this.runState === 'paused') this.runState = 'active';
  }

  /** Record a final state and report it. */
  async finish(e: LedgerEntry, job?: JobInfo): Promise<void> {
    await this.put(e);
    if (job && this.deps.jobs.forget) await this.deps.jobs.forget(job.id).catch(() => undefined);
    if (e.state !== 'done' && e.state !== 'failed' && e.state !== 'skipped') return;
    const started = job ? this.dispatch.startedAt(job) : undefined;
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

  async put(e: LedgerEntry): Promise<void> {
    try {
      await this.ledger.put(e);
    } catch (err) {
      this.deps.onError?.(this.id, err);
      throw err;
    }
  }
}
