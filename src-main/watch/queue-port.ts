import type { Jobs } from '../jobs/queue';
import type { WatchJobPort } from './job-port';

/**
 * The studio's job queue as a watch sees it (idempotent enqueue by key, lookup, events).
 * `forgetFinished`: drop jobs once the watch journal has their outcome (headless runs; the
 * app keeps them for its queue view).
 */
export function queuePort(queue: Jobs, opts: { forgetFinished?: boolean } = {}): WatchJobPort {
  return {
    enqueue: (request, o) => queue.enqueue(request, o),
    get: async (id) => queue.find(id),
    subscribe: (listener) => queue.subscribe(listener),
    ...(opts.forgetFinished ? { forget: async (id: string) => void (await queue.remove(id)) } : {}),
  };
}
