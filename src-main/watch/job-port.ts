import type { EnhanceRequest } from '../contract/enhance';
import type { JobEvent, JobInfo } from '../contract/jobs';

/**
 * What a watch needs from the job queue. The service adapts jobs/ to it; a watch never runs
 * engine work itself.
 */
export interface WatchJobPort {
  /**
   * Queue one photo. `key` is the submission's idempotency key: while a job with that key is
   * queued, running or done, the queue returns it instead of adding a second one.
   */
  enqueue(request: EnhanceRequest, opts: { watchId: string; key: string; maxAttempts: number }): Promise<JobInfo>;
  /** The job, or undefined when the queue does not know it (e.g. its journal was lost). */
  get(jobId: string): Promise<JobInfo | undefined>;
  subscribe(listener: (e: JobEvent) => void): () => void;
  /**
   * Called once the watch's journal durably holds a job's outcome; a headless watch drops the
   * job from its queue here so hours of photos do not pile up in memory.
   */
  forget?(jobId: string): Promise<void>;
}
