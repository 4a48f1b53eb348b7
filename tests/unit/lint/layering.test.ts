// The layering rule, fed files that break it: the project's own ESLint config must report each.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** Layering messages for `code` as if it were the file `rel`. */
async function layering(rel: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, rel) });
  return r.messages.filter((m) => m.ruleId === 'local/layering').map((m) => m.message);
}

describe('the layering rule', () => {
  it('lets a layer import what the table allows', async () => {
    expect(await layering('src-main/service/x.ts', "import { JobQueue } from '../jobs/queue';\nexport const q = JobQueue;\n")).toEqual([]);
    expect(await layering('src-main/imaging/x.ts', "import sharp from 'sharp';\nexport const s = sharp;\n")).toEqual([]);
  });

  it('refuses an upward import, also through a folder (barrel) import', async () => {
    expect(await layering('src-main/imaging/x.ts', "import { createStudioService } from '../service/studio-service';\nexport const s = createStudioService;\n")).toEqual([
      expect.stringContaining('imaging/ must not import service'),
    ]);
    expect(await layering('src-main/engine/x.ts', "import { decodeImage } from '../imaging';\nexport const d = decodeImage;\n")).toEqual([
      expect.stringContaining('engine/ must not import imaging'),
    ]);
    expect(await layering('src-main/base/x.ts', "export * from '../contract/errors';\n")).toEqual([expect.stringContaining('base/ must not import contract')]);
  });

  it('sees dynamic imports, require and import types', async () => {
    expect(await layering('src-main/jobs/x.ts', "export const m = () => import('../service');\n")).toEqual([expect.stringContaining('jobs/ must not import service')]);
    expect(await layering('src-main/jobs/x.ts', "export type S = import('../service').StudioService;\n")).toEqual([expect.stringContaining('jobs/ must not import service')]);
    expect(await layering('src-main/watch/x.js', "const q = require('../server/index.ts');\nmodule.exports = q;\n")).toEqual([expect.stringContaining('watch/ must not import server')]);
  });

  it('keeps npm packages in their layers', async () => {
    expect(await layering('src-main/server/x.ts', "import sharp from 'sharp';\nexport const s = sharp;\n")).toEqual([expect.stringContaining('must not load the package sharp')]);
    expect(await layering('src-main/service/x.ts', "import { watch } from 'chokidar';\nexport const w = watch;\n")).toEqual([expect.stringContaining('chokidar')]);
    expect(await layering('src-main/worker/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const t = tf;\n")).toEqual([expect.stringContaining('@tensorflow/tfjs-core')]);
    expect(await layering('src-main/service/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([expect.stringContaining('electron')]);
  });

  it('checks Svelte components: the renderer imports only the contract', async () => {
    const ok = '<script lang="ts">\n  import type { JobInfo } from \'../../../src-main/contract/jobs\';\n  let { job }: { job: JobInfo } = $props();\n</script>\n<p>{job.id}</p>\n';
    expect(await layering('src-renderer/src/components/Ok.svelte', ok)).toEqual([]);
    const bad = '<script lang="ts">\n  import { JobQueue } from \'../../../src-main/jobs/queue\';\n  const q = JobQueue;\n</script>\n<p>{String(q)}</p>\n';
    expect(await layering('src-renderer/src/components/Bad.svelte', bad)).toEqual([expect.stringContaining('renderer/ must not import jobs')]);
  });
});
