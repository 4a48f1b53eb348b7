import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { createStudioService } from '../../../src-main/service';
import { noisyPng, tempDir } from '../worker/helpers';

// Exactly-once deliverables: the worker is SIGKILLed after it placed some files of a job with
// export presets; the automatic second attempt must leave the output folder exactly as a run
// without a crash does (same names, no `-2` copies, no temporary files).

const sub = '{client}/{date}';
const PRESETS = [
  {
    version: 2,
    id: 'redo-delivery',
    name: 'Redo delivery',
    client: 'Acme',
    outputs: [
      { kind: 'image', format: { format: 'png', bitDepth: 16 }, naming: { template: '{name}_{date}_{seq}_full', subfolder: sub } },
      { kind: 'image', format: { format: 'jpeg', quality: 90 }, size: { mode: 'longEdge', px: 300 }, naming: { template: '{name}_{seq:4}_web', subfolder: sub } },
      { kind: 'sidecar', json: true, xmp: true, naming: { template: '{name}_{seq}_provenance', subfolder: sub } },
    ],
  },
  {
    // Slow on purpose (16-bit, strongest compression): the kill lands while it is written.
    version: 2,
    id: 'redo-archive',
    name: 'Redo archive',
    outputs: [1, 2, 3].map((k) => ({
      kind: 'image',
      format: { format: 'png', bitDepth: 16, compressionLevel: 9 },
      naming: { template: `{name}_archive${k}`, subfolder: 'archive' },
    })),
  },
];

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

/** Every file under dir (hidden ones too), relative, sorted. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

interface Run {
  job: JobInfo;
  files: string[];
  out: string;
  infos: string[];
}

/** One job in a fresh studio; with killAtOutput, the worker is SIGKILLed at that output event. */
async function runOnce(killAtOutput?: number): Promise<Run> {
  const root = await tempDir('studio-redo-');
  roots.push(root);
  const input = await noisyPng(path.join(root, 'shot.png'), 300);
  const out = path.join(root, 'out');
  const s = await createStudioService({ dataDir: path.join(root, 'data'), maxAttempts: 2, onWarning: () => undefined });
  try {
    for (const p of PRESETS) await s['presets.save'](p);
    const target = { id: '' };
    const infos: string[] = [];
    let outputsSeen = 0;
    s.events.subscribe((e) => {
      if (e.topic !== 'job' || e.event.jobId !== target.id) return;
      if (e.event.type === 'info') infos.push(e.event.message);
      if (e.event.type !== 'output' || killAtOutput === undefined) return;
      if (++outputsSeen !== killAtOutput) return;
      const pid = s.workers.workers().find((w) => w.busy)?.pid;
      if (pid) process.kill(pid, 'SIGKILL');
    });
    const queued = await s['jobs.enqueue']({ input, method: 'lanczos', scale: 2, output: { dir: out }, exportPresets: PRESETS.map((p) => p.id) });
    target.id = queued.id;
    const job = await s.queue.wait(queued.id);
    return { job, files: await listing(out), out, infos };
  } finally {
    await s.dispose();
  }
}

let reference: Run;
beforeAll(async () => {
  reference = await runOnce();
  expect(reference.job.attempts).toBe(1);
  expect(reference.files).toEqual(expectedFiles(reference.job));
}, 60_000);

/** The names a crash-free run gives: from the job (its day of acceptance, seq 001). */
function expectedFiles(job: JobInfo): string[] {
  const d = new Date(job.createdAt);
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const folder = path.join('Acme', day);
  return [
    'shot_lanczos_x2.png',
    path.join(folder, `shot_${day}_001_full.png`),
    path.join(folder, `shot_${day}_001_full.xmp`),
    path.join(folder, 'shot_0001_web.jpg'),
    path.join(folder, 'shot_0001_web.xmp'),
    path.join(folder, 'shot_001_provenance.json'),
    path.join('archive', 'shot_archive1.png'),
    path.join('archive', 'shot_archive2.png'),
    path.join('archive', 'shot_archive3.png'),
  ].sort();
}

describe('a job redone after its worker was killed', () => {
  it.each([
    ['right after the main output', 1],
    ['after the first preset, during the second', 2],
  ])('killed %s: one main output and one set of deliverables, named as without the crash', async (_when, killAt) => {
    const crashed = await runOnce(killAt);
    expect(crashed.job.state).toBe('done');
    expect(crashed.job.attempts).toBe(2);
    expect(crashed.job.seq).toBe(1);
    expect(crashed.files).toEqual(reference.files);
    expect(crashed.files).toEqual(expectedFiles(crashed.job));
    // The first attempt had placed files, and the second removed them before running.
    expect(crashed.infos.some((m) => /removed \d+ file\(s\) left by an interrupted earlier attempt/.test(m))).toBe(true);
    expect(crashed.job.outputs.map((f) => path.relative(crashed.out, f)).sort()).toEqual(reference.files);

    // The provenance record describes the files that are there now.
    const json = crashed.files.find((f) => f.endsWith('.json')) as string;
    const record = JSON.parse(await fs.readFile(path.join(crashed.out, json), 'utf8')) as { outputs: { path: string; sha256: string }[] };
    expect(record.outputs).toHaveLength(2);
    for (const o of record.outputs) {
      const bytes = await fs.readFile(path.join(crashed.out, path.dirname(json), o.path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(o.sha256);
    }
    // Nothing of the job's ledger is left once it is done.
    const ledgers = path.join(path.dirname(crashed.out), 'data', 'jobs', 'outputs');
    expect(await fs.readdir(ledgers).catch(() => [])).toEqual([]);
  }, 60_000);
});
