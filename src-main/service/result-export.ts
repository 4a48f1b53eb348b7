// jobs.export: a finished job's result delivered again, with export presets or as a plain copy
// in another format. Rendered from the result file (its pixels, its bit depth) by the same code
// as a job's deliverables; the method does not run again and no job is added.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StudioApi } from '../contract/api';
import { StudioError } from '../contract/errors';
import { probeImage } from '../imaging';
import { fileRenderSource } from '../imaging/render/source';
import type { Jobs } from '../jobs/queue';
import { exportWithPreset, processingSettings, sameAsSourcePreset, type PresetStore } from '../presets';
import type { SettingsStore } from './settings';

export interface ResultExportDeps {
  queue: Pick<Jobs, 'get'>;
  settings: SettingsStore;
  presets: PresetStore;
}

export function createResultExportApi(deps: ResultExportDeps): Pick<StudioApi, 'jobs.export'> {
  return {
    'jobs.export': async (req) => {
      const job = deps.queue.get(req.jobId);
      const result = job.state === 'done' ? job.outputs[0] : undefined;
      if (!result) throw new StudioError('E_INVALID_ARGUMENT', `job ${job.id} has no result to export (it is ${job.state})`);
      // Presets are looked up before any file is read: an unknown one fails fast.
      const chosen = await Promise.all((req.presets ?? []).map(async (id) => (await deps.presets.find(id)).preset));
      const { source, meta: resultMeta } = await fileRenderSource(result);
      const original = job.request.input;
      // The original names the files and is described in provenance; its EXIF is the one carried.
      const originalMeta = await probeImage(original).catch(() => undefined);
      const presets = chosen.length ? chosen : [sameAsSourcePreset(req.output ?? {}, resultMeta.format)];
      const outRoot = path.resolve(req.output?.dir ?? deps.settings.get().outputsDir);
      await fs.mkdir(outRoot, { recursive: true });
      const files: string[] = [];
      for (const preset of presets) {
        files.push(
          ...(await exportWithPreset(
            {
              render: source,
              meta: originalMeta ?? { format: resultMeta.format, bitDepth: resultMeta.bitDepth },
              sourcePath: original,
              method: job.request.method,
              scale: job.request.scale,
              ...(job.backend ? { backend: job.backend } : {}),
              settings: processingSettings(job.request),
            },
            preset,
            {
              outRoot,
              date: new Date(job.createdAt),
              seq: job.seq ?? 1,
              madeAt: new Date(),
              replace: req.output?.overwrite ?? false,
            },
          )),
        );
      }
      return { files };
    },
  };
}
