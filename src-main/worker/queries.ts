import type { BackendInfo, ModelInfo } from '../contract/api';
import { BackendPreference } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import { computeInfo } from '../engine/compute-info';
import { listModels } from '../engine/registry';
import { loadUserModels } from '../engine/train';
import { WORKER_QUERIES, type WorkerQueryName } from '../jobs/worker-protocol';

/** Answers a host's question from the engine living in this process. */
export async function answerQuery(query: WorkerQueryName, args: unknown[]): Promise<ModelInfo[] | BackendInfo> {
  switch (query) {
    case 'models': {
      const [dataDir] = WORKER_QUERIES.models.args.parse(args);
      if (dataDir) await loadUserModels(dataDir); // picks up models trained since the last look
      return listModels();
    }
    case 'backend': {
      const [pref] = WORKER_QUERIES.backend.args.parse(args);
      const preference = BackendPreference.parse(pref);
      return (await computeInfo(preference)).info;
    }
    default:
      throw new StudioError('E_INVALID_ARGUMENT', `unknown worker query '${String(query)}'`);
  }
}
