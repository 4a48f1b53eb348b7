import fs from 'node:fs/promises';
import type { AppInfo, ImageItem, StudioApi } from '../contract/api';
import { childProcessSpawner } from '../jobs/child-process';
import { openJournal } from '../jobs/journal';
import { JobQueue } from '../jobs/queue';
import { MemoryJobStore, type JobStore } from '../jobs/store';
import { ProcessWorkerHost, type SpawnWorker, type WorkerHost } from '../jobs/worker-host';
import { stableJobOptions } from '../jobs/worker-protocol';
import { WorkerPool } from '../jobs/worker-pool';
import { DEFAULT_LIMITS } from '../imaging';
import { defaultWorkerEntry } from '../worker/entry';
import { removeOutputLedger } from '../worker/output-ledger';
import { createAppApi } from './app-info';
import { dataPaths, resolveDataDir, type DataPaths } from './data-dir';
import { EventBus } from './event-bus';
import { createJobsApi } from './jobs-api';
import { createModelsApi } from './models-api';
import { createLibraryApi, Library } from './library';
import { createSettingsApi, defaultSettings, SettingsStore } from './settings';
import { createWatchApi } from '../watch/api';
import { createPresetsApi } from '../presets';
import { createCacheApi } from '../cache';

export type ServiceLimits = AppInfo['limits'];

export interface StudioServiceOptions {
  /** Default: resolveDataDir() (STUDIO_DATA_DIR, else the platform's user-data folder). */
  dataDir?: string;
  /** Makes one supervised worker; Electron passes a utilityProcess-based one. */
  workerHost?: () => WorkerHost;
  /** Or only the process adapter (the host logic is shared). */
  spawnWorker?: SpawnWorker;
  /** Or only the entry file for the default child process (a bundled worker .js). */
  workerEntry?: string;
  /** 'journal' (default): durable <dataDir>/jobs/journal.jsonl; 'memory' for one-shot runs. */
  jobStore?: 'journal' | 'memory' | JobStore;
  limits?: Partial<ServiceLimits>;
  /** Reported by app.info (the Electron front door sets it). */
  desktop?: boolean;
  /** Jobs at once for this process, overriding settings.concurrency (not saved). */
  concurrency?: number;
  /** Runs per job when the worker crashes (default 1: a crash fails the job). */
  maxAttempts?: number;
  /** Fill output format/quality from settings when a request names none (default true). */
  settingsDefaults?: boolean;
  /** Stop an idle worker after this long (default: keep it warm). */
  workerIdleMs?: number;
  /** Versions for app.info when package.json is not beside the code (bundles). */
  version?: { version?: string; engineVersion?: string };
  /** Damaged state files that were recovered, jobs queued again after a crash... */
  onWarning?: (message: string) => void;
}

/**
 * What every domain's create<Domain>Api(deps) may use. Domains outside service/ declare the part
 * they need as their own interface (structural typing), so they never import service/.
 */
export interface ServiceDeps {
  dataDir: string;
  paths: DataPaths;
  events: EventBus;
  settings: SettingsStore;
  queue: JobQueue;
  workers: WorkerPool;
  library: Library;
  limits: ServiceLimits;
  desktop: boolean;
  settingsDefaults: boolean;
  onWarning(message: string): void;
  /** Cleanup to run on dispose() (watchers, timers), last registered first. */
  onDispose(fn: () => Promise<void> | void): void;
}

export interface StudioService extends StudioApi {
  readonly dataDir: string;
  readonly paths: DataPaths;
  readonly events: EventBus;
  readonly queue: JobQueue;
  readonly workers: WorkerPool;
  readonly settingsStore: SettingsStore;
  /** Uploads (HTTP server, pasted images): not part of the contract map. */
  readonly library: { addBuffer(name: string, bytes: Uint8Array): Promise<ImageItem> };
  /** Stops workers and closes the journal; running jobs resume on the next start. */
  dispose(): Promise<void>;
}

export async function createStudioService(opts: StudioServiceOptions = {}): Promise<StudioService> {
  const dataDir = opts.dataDir ?? resolveDataDir();
  const paths = dataPaths(dataDir);
  // Every store below writes under it, whichever job store is chosen.
  await fs.mkdir(paths.dataDir, { recursive: true });
  const warn = opts.onWarning ?? ((m: string) => console.error(`studio: ${m}`));
  const limits: ServiceLimits = {
    ...DEFAULT_LIMITS,
    maxUploadMB: opts.limits?.maxFileMB ?? DEFAULT_LIMITS.maxFileMB,
    ...opts.limits,
  };
  const events = new EventBus();
  const disposers: (() => Promise<void> | void)[] = [];

  const settings = await SettingsStore.open(paths.settings, defaultSettings(paths.outputs));
  if (settings.problem) warn(`settings: ${settings.problem}; using the last good values and defaults`);
  const library = await Library.open({ indexFile: paths.libraryIndex, folder: paths.library, limits, emit: (e) => events.emit(e) });
  if (library.problem) warn(`library: ${library.problem}; using the last good copy`);

  const concurrency = () => opts.concurrency ?? settings.get().concurrency;
  const createHost =
    opts.workerHost ??
    (() => new ProcessWorkerHost(opts.spawnWorker ?? childProcessSpawner({ entry: opts.workerEntry ?? defaultWorkerEntry() })));
  const workers = new WorkerPool({
    createHost,
    size: concurrency(),
    idleTimeoutMs: opts.workerIdleMs,
    runOptions: (job) => ({
      outputsDir: settings.get().outputsDir,
      cacheDir: paths.cache,
      cacheMaxMB: settings.get().cacheMaxMB,
      dataDir: paths.dataDir,
      presetsDir: paths.presets,
      limits: { maxInputMP: limits.maxInputMP, maxOutputMP: limits.maxOutputMP, maxFileMB: limits.maxFileMB },
      attempt: Math.max(1, job.attempts ?? 1),
      job: stableJobOptions(job),
    }),
  });

  const store =
    opts.jobStore === 'memory'
      ? new MemoryJobStore()
      : opts.jobStore && typeof opts.jobStore === 'object'
        ? opts.jobStore
        : await openJournal(paths.journal, { onWarning: warn });
  let queue: JobQueue;
  try {
    queue = await JobQueue.open({
      store,
      runner: workers,
      concurrency: concurrency(),
      maxAttempts: opts.maxAttempts,
      onStoreError: (err) => warn(`job journal write failed: ${(err as Error).message}`),
      afterDone: (id) => removeOutputLedger(paths.dataDir, id), // the redo record is no longer needed
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  queue.subscribe((event) => events.emit({ topic: 'job', event }));
  settings.onChange((s, prev) => {
    if (opts.concurrency === undefined && s.concurrency !== prev.concurrency) {
      workers.resize(s.concurrency);
      queue.setConcurrency(s.concurrency);
    }
  });

  const deps: ServiceDeps = {
    dataDir: paths.dataDir,
    paths,
    events,
    settings,
    queue,
    workers,
    library,
    limits,
    desktop: opts.desktop ?? false,
    settingsDefaults: opts.settingsDefaults ?? true,
    onWarning: warn,
    onDispose: (fn) => disposers.push(fn),
  };

  // One line per domain; each returns exactly its block of the contract.
  const api: StudioApi = {
    ...createAppApi({ ...deps, version: opts.version }),
    ...createSettingsApi(deps),
    ...createLibraryApi(deps),
    ...createJobsApi(deps),
    ...createModelsApi(deps),
    ...createWatchApi(deps),
    ...createPresetsApi(deps),
    ...createCacheApi(deps),
  };

  let disposed: Promise<void> | undefined;
  return {
    ...api,
    dataDir: paths.dataDir,
    paths,
    events,
    queue,
    workers,
    settingsStore: settings,
    library: { addBuffer: (name, bytes) => library.addBuffer(name, bytes) },
    dispose: () =>
      (disposed ??= (async () => {
        for (const fn of disposers.reverse()) {
          try {
            await fn();
          } catch (err) {
            warn(`shutdown: ${(err as Error).message}`);
          }
        }
        const closing = queue.close(); // marks running jobs as interrupted (not cancelled) first
        await workers.dispose();
        await closing;
      })()),
  };
}
