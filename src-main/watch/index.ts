export { createWatchApi, createWatchApiFor, createWatches, type WatchApi, type WatchApiDeps } from './api';
export type { WatchJobPort } from './job-port';
export { describeReport, WatchManager, type AddOptions, type WatchManagerDeps } from './manager';
export { queuePort } from './queue-port';
export { MAX_ATTEMPTS, type WatchFileReport, WatchRunner } from './runner';
