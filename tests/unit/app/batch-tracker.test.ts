import { describe, expect, it } from 'vitest';
import { BatchTracker, describeBatch } from '../../../src-main/app/batch-tracker';
import type { StudioEvent } from '../../../src-main/contract/events';
import type { JobState } from '../../../src-main/contract/jobs';

const state = (jobId: string, s: JobState): StudioEvent => ({ topic: 'job', event: { type: 'state', jobId, state: s } });
const output = (jobId: string, files: string[]): StudioEvent => ({ topic: 'job', event: { type: 'output', jobId, files } });

describe('BatchTracker', () => {
  it('reports once, when the last job of a busy period ends', () => {
    const t = new BatchTracker();
    const feed = (e: StudioEvent) => t.push(e);
    expect(feed(state('a', 'queued'))).toBeUndefined();
    expect(feed(state('b', 'queued'))).toBeUndefined();
    expect(feed(state('a', 'running'))).toBeUndefined();
    expect(feed(output('a', ['/out/a.png']))).toBeUndefined();
    expect(feed(state('a', 'done'))).toBeUndefined();
    expect(feed({ topic: 'watch', watchId: 'w', message: 'hello' })).toBeUndefined();
    expect(feed(state('b', 'running'))).toBeUndefined();
    expect(feed(state('b', 'failed'))).toEqual({ done: 1, failed: 1, cancelled: 0, outputs: ['/out/a.png'] });
    // A new batch starts from zero.
    feed(state('c', 'queued'));
    expect(feed(state('c', 'cancelled'))).toEqual({ done: 0, failed: 0, cancelled: 1, outputs: [] });
  });

  it('ignores jobs that end without having been seen to start', () => {
    expect(new BatchTracker().push(state('ghost', 'done'))).toBeUndefined();
  });
});

describe('describeBatch', () => {
  it('says it in plain words', () => {
    expect(describeBatch({ done: 1, failed: 0, cancelled: 0, outputs: [] })).toEqual({ title: 'Enhancement finished', body: '1 photo ready.' });
    expect(describeBatch({ done: 3, failed: 1, cancelled: 1, outputs: [] }).body).toBe('3 of 5 done, 1 failed, 1 cancelled.');
    expect(describeBatch({ done: 0, failed: 2, cancelled: 0, outputs: [] }).title).toBe('Enhancement failed');
  });
});
