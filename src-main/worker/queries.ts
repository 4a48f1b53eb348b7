import type { BackendInfo, ModelInfo } from '../contract/api';
import { BackendPreference } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import { computeInfo } from '../engine/compute-info';
import { listModels } from '../engine/registry';
import { importedModelId, importModel, removeImportedModel, syncImportedModels } from '../engine/models/imported';
import { getUpscaler } from '../engine/registry';
import { loadUserModels } from '../engine/train';
import { WORKER_QUERIES, type WorkerQueryName } from '../jobs/worker-protocol';

/** Answers a host's question from the engine living in this process. */
export async function answerQuery(query: WorkerQueryName, args: unknown[]): Promise<ModelInfo[] | ModelInfo | BackendInfo | boolean> {
  switch (query) {
    case 'models': {
      const [dataDir] = WORKER_QUERIES.models.args.parse(args);
      if (dataDir) await loadDataFolderModels(dataDir); // picks up models trained or imported since the last look
      return listModels();
    }
    case 'importModel': {
      const [dataDir, req] = WORKER_QUERIES.importModel.args.parse(args);
      const meta = await importModel(dataDir, req.path, { name: req.name, license: req.license });
      await syncImportedModels(dataDir);
      return getUpscaler(importedModelId(meta.name)).info;
    }
    case 'removeModel': {
      const [dataDir, id] = WORKER_QUERIES.removeModel.args.parse(args);
      return removeImportedModel(dataDir, id.replace(/^user:/, ''));
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

/** Methods that live in a data folder: models trained there and models imported into it. */
export async function loadDataFolderModels(dataDir: string): Promise<void> {
  await loadUserModels(dataDir);
  await syncImportedModels(dataDir);
}
