import type { JobRecord } from './record';
import { cloneRecord } from './record';

/**
 * Where the queue persists its jobs. `put` resolves only once the record is durable (for the
 * journal: written and fsynced), so a job acknowledged to a caller survives a crash.
 */
export interface JobStore {
  /** Every stored job in creation order. Jobs that were running when the process died come back queued. */
  load(): Promise<JobRecord[]>;
  /** Insert or replace a job (by id). */
  put(job: JobRecord): Promise<void>;
  /** Forget a job. */
  delete(id: string): Promise<void>;
  /** Flush and release the store (locks, file handles). */
  close(): Promise<void>;
}

/** A store that lives as long as the process: for one-shot CLI runs and tests. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, JobRecord>();

  async load(): Promise<JobRecord[]> {
    return [...this.jobs.values()].map(cloneRecord);
  }

  async put(job: JobRecord): Promise<void> {
    this.jobs.set(job.id, cloneRecord(job));
  }

  async delete(id: string): Promise<void> {
    this.jobs.delete(id);
  }

  async close(): Promise<void> {}
}
