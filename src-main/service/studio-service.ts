import fs from 'node:fs/promises';
import type { AppInfo, ImageItem, StudioApi } from '../contract/api';
import { childProcessSpawner } from '../jobs/child-process';
import { openJournal } from '../jobs/journal';
import { JobQueue, type Jobs } from '../jobs/queue';
import { FarmQueue } from '../jobs/farm/farm-queue';
import type { QueueSetting } from '../contract/farm';
import { MemoryJobStore, type JobStore } from '../jobs/store';
import { ProcessWorkerHost, type SpawnWorker, type WorkerHost } from '../jobs/worker-host';
import { stableJobOptions } from '../jobs/worker-protocol';
import { WorkerPool } from '../jobs/worker-pool';
import { admitImage, DEFAULT_LIMITS, probeImage, type ImageMeta } from '../imaging';
import { MediaService } from './media';
import { defaultWorkerEntry } from '../worker/entry';
import { removeOutputLedger } from '../worker/output-ledger';
import { createAppApi } from './app-info';
import { dataPaths, resolveDataDir, type DataPaths } from './data-dir';
import { EventBus } from './event-bus';
import { createJobsApi } from './jobs-api';
import { createResultExportApi } from './result-export';
import { createModelsApi } from './models-api';
import { createLibraryApi, Library } from './library';
import { createSettingsApi, defaultSettings, SettingsStore } from './settings';
import { createSpeedsApi, SpeedStore } from './speeds';
import { createFoldersApi } from './folders';
import { createWatches, type WatchApiDeps } from '../watch/api';
import type { WatchManager } from '../watch/manager';
import { createPresetStore, createPresetsApi } from '../presets';
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
  /** The job queue, overriding settings.queue (not saved): `--queue redis://…` on serve, watch, enhance. */
  queue?: QueueSetting;
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
  /** Watched folders of this process: start the saved ones (default), forget finished jobs, hear outcomes. */
  watch?: Pick<WatchApiDeps, 'autostart' | 'forgetFinished' | 'onFile' | 'watchPresenceMs'>;
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
  queue: Jobs;
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
  readonly queue: Jobs;
  readonly workers: WorkerPool;
  readonly settingsStore: SettingsStore;
  /** Uploads (HTTP server, pasted images) and lookups by id: not part of the contract map. */
  readonly library: { addBuffer(name: string, bytes: Uint8Array): Promise<ImageItem>; get(id: string): ImageItem | undefined };
  /** The watched folders (`studio watch` adds its own, unsaved). */
  readonly watches: WatchManager;
  /** Images for the front doors (HTTP /media, studio-media://). */
  readonly media: MediaService;
  /** The limits every door checks an image against (input pixels, file size, output pixels). */
  readonly limits: ServiceLimits;
  /** Probes image bytes against those limits (coded errors: E_INPUT_TOO_LARGE, E_CORRUPT_IMAGE...). */
  admitImage(bytes: Uint8Array): Promise<ImageMeta>;
  /** Folders whose files the studio may show or reveal (outputs, cache, library, the outputs setting). */
  roots(): readonly string[];
  /** Stops workers and closes the journal; running jobs resume on the next start. */
  dispose(): Promise<void>;
}

export async function createStudioService(opts: StudioServiceOptions = {}): Promise<StudioService> {
  const dataDir = opts.dataDir ?? resolveDataDir();
  const paths = dataPaths(dataDir);
  // Every store below writes under it, whichever job store is chosen.
  await fs.mkdir(paths.dataDir, { recursive: true });
  const log = opts.onWarning ?? ((m: string) => console.error(`studio: ${m}`));
  // Recoveries are logged and kept for app.info, so the interface tells the user once.
  const notices: { at: number; message: string }[] = [];
  const notice = (message: string): void => {
    log(message);
    notices.push({ at: Date.now() + notices.length / 1000, message });
    if (notices.length > 50) notices.shift();
  };
  const warn = log;
  const limits: ServiceLimits = {
    ...DEFAULT_LIMITS,
    maxUploadMB: opts.limits?.maxFileMB ?? DEFAULT_LIMITS.maxFileMB,
    ...opts.limits,
  };
  const events = new EventBus();
  const disposers: (() => Promise<void> | void)[] = [];

  const settings = await SettingsStore.open(paths.settings, defaultSettings(paths.outputs));
  if (settings.problem) notice(`settings: ${settings.problem}`);
  const library = await Library.open({ indexFile: paths.libraryIndex, folder: paths.library, limits, emit: (e) => events.emit(e) });
  if (library.problem) notice(`library: ${library.problem}`);
  const speeds = await SpeedStore.open({
    file: paths.speeds,
    inputSize: async (job) => (job.imageId ? library.get(job.imageId) : undefined) ?? (await probeImage(job.request.input)),
    onWarning: notice,
    onChange: (records) => events.emit({ topic: 'speeds', records }),
  });
  const presetStore = createPresetStore(paths.dataDir);
  await presetStore.list().catch(() => undefined);
  for (const w of presetStore.warnings()) notice(`presets: ${w}`);

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

  const queueSetting = opts.queue ?? settings.get().queue;
  const queue: Jobs =
    queueSetting?.kind === 'redis'
      ? await FarmQueue.open({ setting: queueSetting, onWarning: notice })
      : await openLocalQueue(opts, paths, workers, concurrency(), notice, warn);
  queue.subscribe((event) => {
    events.emit({ topic: 'job', event });
    speeds.onEvent(event).catch((err: unknown) => warn(`speeds: ${(err as Error).message}`));
  });
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

  const watches = createWatches({ ...deps, ...opts.watch, onNotice: notice });
  // One line per domain; each returns exactly its block of the contract.
  const api: StudioApi = {
    ...createAppApi({ ...deps, version: opts.version, notices: () => notices }),
    ...createSettingsApi(deps),
    ...createFoldersApi(deps),
    ...createLibraryApi(deps),
    ...createJobsApi(deps),
    ...createResultExportApi({ queue, settings, presets: presetStore }),
    ...createModelsApi(deps),
    ...watches.api,
    ...createPresetsApi({ ...deps, store: presetStore }),
    ...createCacheApi(deps),
    'farm.workers': async () => (queue instanceof FarmQueue ? queue.workers() : []),
    ...createSpeedsApi(speeds),
  };

  const roots = () => [paths.outputs, paths.cache, paths.library, settings.get().outputsDir];
  const media = new MediaService({ image: (id) => library.get(id), job: (id) => queue.get(id), roots });

  let disposed: Promise<void> | undefined;
  return {
    ...api,
    dataDir: paths.dataDir,
    paths,
    events,
    queue,
    workers,
    settingsStore: settings,
    library: { addBuffer: (name, bytes) => library.addBuffer(name, bytes), get: (id) => library.get(id) },
    watches: watches.manager,
    media,
    limits,
    admitImage: (bytes) => admitImage(bytes, limits),
    roots,
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

/** This machine's queue: the job journal (or a memory store) and the worker pool. */
async function openLocalQueue(
  opts: StudioServiceOptions,
  paths: DataPaths,
  workers: WorkerPool,
  concurrency: number,
  notice: (m: string) => void,
  warn: (m: string) => void,
): Promise<JobQueue> {
  const store =
    opts.jobStore === 'memory'
      ? new MemoryJobStore()
      : opts.jobStore && typeof opts.jobStore === 'object'
        ? opts.jobStore
        : await openJournal(paths.journal, { onWarning: notice });
  try {
    return await JobQueue.open({
      store,
      runner: workers,
      concurrency,
      maxAttempts: opts.maxAttempts,
      onStoreError: (err) => warn(`job journal write failed: ${(err as Error).message}`),
      afterDone: (id) => removeOutputLedger(paths.dataDir, id), // the redo record is no longer needed
    });
  } catch (err) {
    await store.close();
    throw err;
  }
}
