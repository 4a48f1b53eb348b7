import type { ErrorPayload } from '../contract/errors';
import type { JobInfo } from '../contract/jobs';
import type { WatchConfig } from '../contract/watch';
import type { WatchJobPort } from './job-port';
import type { LedgerEntry, WatchLedger } from './ledger';

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

/** Worker crashes tolerated per photo (counted by the queue) before it is marked failed: a poison file must not loop. */
export const MAX_ATTEMPTS = 3;

/** What the parts of a running watch (detection, dispatch, recovery) share; the runner is it. */
export interface WatchContext {
  readonly id: string;
  readonly config: WatchConfig;
  readonly ledger: WatchLedger;
  readonly deps: WatchRunnerDeps;
  readonly stopped: boolean;
  /** Record an entry (a failed write is reported, then thrown). */
  put(e: LedgerEntry): Promise<void>;
  /** Record a final state and report it. */
  finish(e: LedgerEntry, job?: JobInfo): Promise<void>;
  /** Run without awaiting; a failure is reported, never an unhandled rejection. */
  background(p: Promise<unknown>): void;
  /** Wake whoever waits for the watch to be idle, if it is. */
  checkIdle(): void;
}
