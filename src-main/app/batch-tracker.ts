import type { StudioEvent } from '../contract/events';
import type { JobState } from '../contract/jobs';

// Tells when a batch is over: the queue went from busy to idle. The desktop shell turns the
// summary into one OS notification instead of one per photo.

export interface BatchSummary {
  done: number;
  failed: number;
  cancelled: number;
  /** Output files of the batch's successful jobs, for "Show in folder". */
  outputs: string[];
}

const ACTIVE: ReadonlySet<JobState> = new Set(['queued', 'running']);

export class BatchTracker {
  private readonly active = new Set<string>();
  private batch: BatchSummary = { done: 0, failed: 0, cancelled: 0, outputs: [] };

  /** Feeds one event; returns the summary when it closed a batch. */
  push(event: StudioEvent): BatchSummary | undefined {
    if (event.topic !== 'job') return undefined;
    const e = event.event;
    if (e.type === 'output') {
      this.batch.outputs.push(...e.files);
      return undefined;
    }
    if (e.type !== 'state') return undefined;
    if (ACTIVE.has(e.state)) {
      this.active.add(e.jobId);
      return undefined;
    }
    if (!this.active.delete(e.jobId)) return undefined; // a job we never saw start (e.g. retried from history)
    if (e.state === 'done') this.batch.done++;
    else if (e.state === 'failed') this.batch.failed++;
    else this.batch.cancelled++;
    if (this.active.size > 0) return undefined;
    const summary = this.batch;
    this.batch = { done: 0, failed: 0, cancelled: 0, outputs: [] };
    return summary;
  }
}

/** Title and body of the notification, plain words. */
export function describeBatch(s: BatchSummary): { title: string; body: string } {
  const total = s.done + s.failed + s.cancelled;
  const photos = (n: number) => `${n} photo${n === 1 ? '' : 's'}`;
  if (s.failed === 0 && s.cancelled === 0) return { title: 'Enhancement finished', body: `${photos(s.done)} ready.` };
  const parts = [`${s.done} of ${total} done`];
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.cancelled) parts.push(`${s.cancelled} cancelled`);
  return { title: s.done ? 'Enhancement finished with problems' : 'Enhancement failed', body: `${parts.join(', ')}.` };
}
