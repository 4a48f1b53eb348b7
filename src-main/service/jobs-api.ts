import type { StudioApi } from '../contract/api';
import { EnhanceRequest } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import type { Jobs } from '../jobs/queue';
import type { WorkerPool } from '../jobs/worker-pool';
import type { SettingsStore } from './settings';

export interface JobsDeps {
  queue: Jobs;
  workers: WorkerPool;
  settings: SettingsStore;
  /** Fill output format/quality from settings when a request names none (the CLI keeps "same as input"). */
  settingsDefaults: boolean;
  /** Models trained in this data folder are offered as user:<name>. */
  dataDir: string;
  /** Jobs of library photos carry the photo's id. */
  library: { idOfPath(file: string): string | undefined };
}

/** A request as it will run: validated, with the user's settings filling what it leaves open. */
export function resolveRequest(raw: EnhanceRequest, deps: Pick<JobsDeps, 'settings' | 'settingsDefaults'>): EnhanceRequest {
  const parsed = EnhanceRequest.safeParse(raw);
  if (!parsed.success) {
    throw new StudioError('E_INVALID_ARGUMENT', `invalid enhance request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`);
  }
  const req = parsed.data;
  const s = deps.settings.get();
  const output = { ...req.output };
  output.dir ??= s.outputsDir;
  if (deps.settingsDefaults) {
    if (output.format === undefined && s.defaultFormat !== 'same') output.format = s.defaultFormat;
    output.quality ??= s.defaultQuality;
  }
  return { ...req, backend: req.backend ?? s.backend, output };
}

export function createJobsApi(
  deps: JobsDeps,
): Pick<StudioApi, 'jobs.enqueue' | 'jobs.list' | 'jobs.get' | 'jobs.cancel' | 'jobs.retry' | 'models.list'> {
  return {
    'jobs.enqueue': (req) => {
      const resolved = resolveRequest(req, deps);
      const imageId = deps.library.idOfPath(resolved.input);
      return deps.queue.enqueue(resolved, imageId ? { imageId } : {});
    },
    'jobs.list': async () => deps.queue.list(),
    'jobs.get': async (id) => deps.queue.get(id),
    'jobs.cancel': (id) => deps.queue.cancel(id),
    'jobs.retry': (id) => deps.queue.retry(id),
    'models.list': () => deps.workers.query('models', deps.dataDir),
  };
}
