import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from '../main';
import { parseCommandLine, parseNumber, queueHelp, takeQueue, usageError } from '../args';
import { childProcessSpawner } from '../../jobs/child-process';
import { parsePathMap } from '../../jobs/farm/connection';
import { startFarmWorker } from '../../jobs/farm/farm-worker';
import { ProcessWorkerHost } from '../../jobs/worker-host';
import { stableJobOptions } from '../../jobs/worker-protocol';
import { WorkerPool } from '../../jobs/worker-pool';
import { DEFAULT_LIMITS } from '../../imaging';
import { dataPaths, resolveDataDir } from '../../service/data-dir';
import { defaultWorkerEntry } from '../../worker/entry';
import { outputLedgerPath, removeOutputLedger } from '../../worker/output-ledger';

const HELP = `Usage: studio worker --queue redis://user:password@host:port [options]

A farm worker: takes jobs from the farm's queue (filled by 'studio serve|watch|enhance --queue')
and runs them in the studio's engine process on this machine. Photos and outputs live on shared
storage; see docs/farm.md.

Options:
${queueHelp(22)}
  --concurrency N     jobs at once on this machine (default 1)
  --path-map FROM=TO  the coordinator's folder FROM is mounted here at TO (repeatable)
  --shared-dir DIR    a folder on the shared storage every worker mounts at the same place
                      (after --path-map): jobs' output ledgers, so a job taken over from a
                      killed worker removes what that one wrote (default: the data folder)
  --cache-dir DIR     per-image model cache (put it on the shared storage to share trained
                      ZSSR models between machines; default: the data folder's cache)
  --name NAME         shown in the studio's job cards and Workers list (default: host name#pid)
  --lock-ms MS        a killed worker's job goes to another worker after this long (default 30000)
  --drain-ms MS       on SIGTERM/SIGINT: take no new job, let running ones finish for this long,
                      then put them back in the queue for another worker, and exit 0
                      (default 60000; a second signal puts them back at once)
  --data-dir DIR      studio data folder (default: STUDIO_DATA_DIR, else the user-data folder)`;

/** The worker's own options (beside --queue, --queue-prefix, --insecure and the global --data-dir). */
export const WORKER_OPTIONS = {
  concurrency: { type: 'string' },
  'path-map': { type: 'string', multiple: true },
  'shared-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  name: { type: 'string' },
  'lock-ms': { type: 'string' },
  'drain-ms': { type: 'string' },
} as const;

export const command: Command = {
  summary: 'take jobs from a farm queue (Redis) and run them on this machine',
  help: HELP,
  async run(rawArgv) {
    const { argv, queue } = takeQueue(rawArgv);
    const { values, positionals } = parseCommandLine(argv, WORKER_OPTIONS, HELP);
    if (positionals.length) throw usageError(`unexpected argument '${positionals[0]}'`, HELP);
    if (!queue || queue.kind !== 'redis') throw usageError('--queue redis://… is required', HELP);
    const concurrency = parseNumber('concurrency', values.concurrency, { min: 1, max: 64, integer: true }, HELP) ?? 1;
    const lockMs = parseNumber('lock-ms', values['lock-ms'], { min: 1000, max: 3_600_000, integer: true }, HELP);
    const drainMs = parseNumber('drain-ms', values['drain-ms'], { min: 0, max: 86_400_000, integer: true }, HELP) ?? 60_000;
    const pathMaps = (values['path-map'] ?? []).map((m) => {
      try {
        return parsePathMap(m);
      } catch (err) {
        throw usageError((err as Error).message, HELP);
      }
    });
    const paths = dataPaths(resolveDataDir());
    const shared = values['shared-dir'] ? path.resolve(values['shared-dir']) : paths.dataDir;
    const cacheDir = values['cache-dir'] ? path.resolve(values['cache-dir']) : paths.cache;

    const pool = new WorkerPool({
      createHost: () => new ProcessWorkerHost(childProcessSpawner({ entry: defaultWorkerEntry() })),
      size: concurrency,
      runOptions: (job) => ({
        outputsDir: job.request.output?.dir ?? path.dirname(job.request.input),
        cacheDir,
        dataDir: shared,
        presetsDir: paths.presets,
        limits: { ...DEFAULT_LIMITS },
        attempt: Math.max(1, job.attempts ?? 1),
        job: stableJobOptions(job),
      }),
    });
    const farm = await startFarmWorker({
      setting: queue,
      runner: pool,
      concurrency,
      pathMaps,
      ...(values.name ? { name: values.name } : { name: `${os.hostname()}#${process.pid}` }),
      ...(lockMs ? { lockMs } : {}),
      onCompleted: (id) => removeOutputLedger(shared, id),
    });
    await sweepLedgers(shared, farm.isFinished);
    console.error(`studio worker: shared folder ${shared}, model cache ${cacheDir}`);
    console.log(`studio worker ${farm.name}: ready`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.error(`studio worker: ${signal}: taking no new job; running ones have ${drainMs / 1000} s to finish`);
    // A second signal: put the running jobs back now.
    const drained = new Promise<{ finished: number; returned: number }>((resolve) => {
      const now = () => resolve(farm.drain(0));
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      void farm.drain(drainMs).then(resolve);
    });
    const { finished, returned } = await drained;
    await pool.dispose();
    console.error(`studio worker: stopped (${finished} finished while draining, ${returned} put back in the queue)`);
    return 0;
  },
};

/**
 * A worker killed after its job was recorded done but before it removed the job's output ledger
 * leaves the ledger behind: the next start removes those (never one of a job still open).
 */
async function sweepLedgers(shared: string, isFinished: (jobId: string) => Promise<boolean>): Promise<void> {
  const dir = path.dirname(outputLedgerPath(shared, 'x'));
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.endsWith('.jsonl')) continue;
    const id = n.slice(0, -'.jsonl'.length);
    if (outputLedgerPath(shared, id) === path.join(dir, n) && (await isFinished(id))) await removeOutputLedger(shared, id);
  }
}
