import { mkdir } from 'node:fs/promises';
import type { StudioApi } from '../contract/api';
import type { StudioEvent } from '../contract/events';
import type { Jobs } from '../jobs/queue';
import { WatchManager } from './manager';
import type { WatchFileReport } from './runner';
import { queuePort } from './queue-port';

export type WatchApi = Pick<StudioApi, 'watches.list' | 'watches.add' | 'watches.remove' | 'watches.pause' | 'watches.resume' | 'watches.files'>;

/** The part of the service a watch needs (structurally typed: watch/ never imports service/). */
export interface WatchApiDeps {
  dataDir: string;
  queue: Jobs;
  events: { emit(e: StudioEvent): void };
  onWarning(message: string): void;
  /** A recovery the user is told about once (a damaged watches.json); default onWarning. */
  onNotice?(message: string): void;
  onDispose(fn: () => Promise<void> | void): void;
  /** Presence-check period of the source folders (tests shorten it). */
  watchPresenceMs?: number;
  /** Start the saved watches (default true; `studio watch` runs only its own). */
  autostart?: boolean;
  /** Drop jobs from the queue once the watch journal has their outcome (headless runs). */
  forgetFinished?: boolean;
  /** Each photo's outcome (the CLI prints it). */
  onFile?: (r: WatchFileReport) => void;
}

/**
 * The watch block of the studio API. Starts the saved watches in the background (the service
 * is usable at once; watch calls wait for the start) and stops them when the service closes.
 */
export function createWatchApi(deps: WatchApiDeps): WatchApi {
  return createWatches(deps).api;
}

/** The watch block and the manager behind it (the service keeps the manager for `studio watch`). */
export function createWatches(deps: WatchApiDeps): { api: WatchApi; manager: WatchManager } {
  const manager = new WatchManager({
    dataDir: deps.dataDir,
    jobs: queuePort(deps.queue, { forgetFinished: deps.forgetFinished }),
    ...(deps.onFile ? { onFile: deps.onFile } : {}),
    onEvent: (watchId, message) => deps.events.emit({ topic: 'watch', watchId, message }),
    onError: (watchId, err) => {
      const message = (err as Error)?.message ?? String(err);
      if (!watchId) (deps.onNotice ?? deps.onWarning)(`watches: ${message}`);
      else deps.onWarning(`watch ${watchId}: ${message}`);
    },
    ...(deps.watchPresenceMs ? { presenceMs: deps.watchPresenceMs } : {}),
  });
  const ready = deps.autostart === false ? Promise.resolve() : manager.start().catch((err) => deps.onWarning(`watches: ${(err as Error).message}`));
  deps.onDispose(async () => {
    await ready;
    await manager.close();
  });
  return { api: createWatchApiFor(manager, ready), manager };
}

/** The API over an existing manager (the CLI and tests build their own). */
export function createWatchApiFor(watches: WatchManager, ready: Promise<unknown> = Promise.resolve()): WatchApi {
  const after = <T>(fn: () => T | Promise<T>) => ready.then(fn);
  return {
    'watches.list': () => after(() => watches.list()),
    'watches.add': (spec) =>
      after(async () => {
        const { create, ...rest } = spec;
        if (create) await mkdir(rest.source, { recursive: true });
        return watches.add(rest);
      }),
    'watches.remove': (id) => after(() => watches.remove(id)),
    'watches.pause': (id) => after(() => watches.pause(id)),
    'watches.resume': (id) => after(() => watches.resume(id)),
    'watches.files': (id, q) => after(() => watches.files(id, q)),
  };
}
