// Models people bring: the import itself runs in the engine process (it reads and checks the
// file); here, files picked in the app are staged piece by piece under <dataDir>/imports/.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StudioApi } from '../contract/api';
import { StudioError } from '../contract/errors';
import type { WorkerPool } from '../jobs/worker-pool';

export interface ModelsDeps {
  dataDir: string;
  workers: WorkerPool;
}

const MAX_STAGED = 2 ** 31 - 1;

export function createModelsApi(deps: ModelsDeps): Pick<StudioApi, 'models.add' | 'models.remove' | 'models.stage'> {
  const staging = path.join(deps.dataDir, 'imports');
  const batchOf = (p: string): string | undefined => {
    const rel = path.relative(staging, path.resolve(p));
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? path.join(staging, rel.split(path.sep)[0]) : undefined;
  };
  return {
    'models.add': async (req) => {
      const batch = batchOf(req.path);
      try {
        return await deps.workers.query('importModel', deps.dataDir, req);
      } finally {
        if (batch) await fs.rm(batch, { recursive: true, force: true }); // staged files are used once
      }
    },
    'models.remove': (id) => deps.workers.query('removeModel', deps.dataDir, id),
    'models.stage': async (chunk) => {
      const dir = path.join(staging, chunk.batch);
      const file = path.join(dir, chunk.fileName);
      const bytes = Buffer.from(chunk.data, 'base64');
      await fs.mkdir(dir, { recursive: true });
      const size = chunk.offset === 0 ? 0 : ((await fs.stat(file).catch(() => undefined))?.size ?? -1);
      if (size !== chunk.offset) throw new StudioError('E_INVALID_ARGUMENT', `piece at byte ${chunk.offset} of ${chunk.fileName} does not follow the ${Math.max(0, size)} bytes staged`);
      if (chunk.offset + bytes.length > MAX_STAGED) throw new StudioError('E_FILE_TOO_LARGE', 'model files above 2 GB are not supported');
      if (chunk.offset === 0) await fs.writeFile(file, bytes);
      else await fs.appendFile(file, bytes);
      return { path: file, bytes: chunk.offset + bytes.length };
    },
  };
}
