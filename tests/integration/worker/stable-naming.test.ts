import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childProcessSpawner } from '../../../src-main/jobs/child-process';
import { ProcessWorkerHost } from '../../../src-main/jobs/worker-host';
import { createPresetStore } from '../../../src-main/presets';
import { defaultWorkerEntry } from '../../../src-main/worker/entry';
import { smallPng, tempDir } from './helpers';

// {date} and {seq} come from the job the host sends (its creation time and queue number), not
// from the worker's clock: a redo on another day writes the same names.

let dir: string;
let host: ProcessWorkerHost;

beforeAll(async () => {
  dir = await tempDir('studio-naming-');
  host = new ProcessWorkerHost(childProcessSpawner({ entry: defaultWorkerEntry() }));
});
afterAll(async () => {
  await host.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('deliverable names of a job', () => {
  it('use the job creation day and its queue number on every attempt', async () => {
    const dataDir = path.join(dir, 'data');
    await createPresetStore(dataDir).save({
      version: 2,
      id: 'dated',
      name: 'Dated',
      outputs: [{ kind: 'image', format: { format: 'png', bitDepth: 8 }, naming: { template: '{name}_{date}_{seq}', subfolder: '{date}' } }],
    });
    const input = await smallPng(path.join(dir, 'card.png'));
    const createdAt = new Date(2020, 0, 2, 23, 59, 30).getTime(); // accepted just before midnight, years ago
    const out = path.join(dir, 'out');
    for (const attempt of [1, 2]) {
      const r = await host.run({
        jobId: 'job-dated',
        request: { input, method: 'nearest', scale: 2, output: { dir: out }, exportPresets: ['dated'] },
        options: { outputsDir: out, dataDir, attempt, job: { id: 'job-dated', createdAt, seq: 42 } },
      });
      expect(r.outputs).toEqual([path.join(out, 'card_nearest_x2.png'), path.join(out, '2020-01-02', 'card_2020-01-02_042.png')]);
      // Done in the worker: files and ledger stay; the host drops the ledger only once it has
      // recorded the job done (a crash before that still gets a clean redo).
      await expect(fs.readdir(path.join(dataDir, 'jobs', 'outputs'))).resolves.toEqual(['job-dated.jsonl']);
    }
    // Attempt 2 is what a host that crashed after the worker finished (before recording the job
    // done) would run: the ledger of attempt 1 lets it replace that attempt's files, not add copies.
    expect((await fs.readdir(out, { recursive: true })).sort()).toEqual(['2020-01-02', path.join('2020-01-02', 'card_2020-01-02_042.png'), 'card_nearest_x2.png']);
  });
});
