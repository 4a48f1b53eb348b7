import { StudioError } from '../contract/errors';
import type { JobInfo, JobState } from '../contract/jobs';

/**
 * What the queue keeps and the journal persists per job: the public JobInfo plus the fields
 * only the core needs (idempotency key, retry budget).
 */
export interface JobRecord extends JobInfo {
  /** Idempotency key (e.g. source hash + recipe): one live-or-done job per key. */
  key?: string;
  /** Runs allowed when the worker crashes (1 = no automatic retry). */
  maxAttempts?: number;
}

/** The job state machine; `running -> queued` is recovery after a crash or an automatic retry. */
const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  queued: ['running', 'cancelled'],
  running: ['done', 'failed', 'cancelled', 'queued'],
  done: [],
  failed: ['queued'],
  cancelled: ['queued'],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(job: JobRecord, to: JobState): void {
  if (!canTransition(job.state, to)) {
    throw new StudioError('E_INVALID_ARGUMENT', `job ${job.id} is ${job.state}; it cannot become ${to}`, {
      jobId: job.id,
      state: job.state,
    });
  }
}

export const FINISHED_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

export function isFinished(state: JobState): boolean {
  return FINISHED_STATES.includes(state);
}

/** The public view: internal fields stripped, arrays copied so callers cannot mutate the queue. */
export function toJobInfo(r: JobRecord): JobInfo {
  const { key: _key, maxAttempts: _max, ...info } = r;
  return {
    ...info,
    request: structuredClone(info.request),
    outputs: [...info.outputs],
    ...(info.loss ? { loss: [...info.loss] } : {}),
  };
}

/** Copy for persistence (the journal serialises it later; the live record keeps changing). */
export function cloneRecord(r: JobRecord): JobRecord {
  return structuredClone(r);
}

/**
 * A job that was running when the studio itself died goes back in line without spending an
 * attempt: `attempts` counts only attempts the engine ended (done, failed or crashed), so a
 * photo fails for good only after crashing the engine `maxAttempts` times.
 */
export function uncountInterrupted(r: JobRecord): void {
  if (r.attempts !== undefined) r.attempts = Math.max(0, r.attempts - 1);
}
