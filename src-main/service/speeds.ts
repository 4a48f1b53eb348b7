// The times jobs take on this machine (speeds.json in the data folder): every finished job adds
// its own, so the Enhance panel can say how long a method will take here.
import path from 'node:path';
import { JsonStore } from '../base/json-store';
import { Serial } from '../base/durable';
import type { StudioApi } from '../contract/api';
import type { JobEvent, JobInfo, JobPhase } from '../contract/jobs';
import { addSpeedSample, outputMegapixels, SpeedBook, speedKey, type SpeedRecord } from '../contract/speed';

export interface SpeedDeps {
  file: string;
  /** Input size of a job's photo (library first, else its header), or undefined. */
  inputSize(job: JobInfo): Promise<{ width: number; height: number } | undefined>;
  onWarning?: (message: string) => void;
  /** Told after every change, with all records. */
  onChange?: (records: Record<string, SpeedRecord>) => void;
}

/** Phases that mark the end of the part of a job that does not grow with the photo's size. */
const ENLARGING: ReadonlySet<JobPhase> = new Set(['infer', 'encode']);

export class SpeedStore {
  private records: Record<string, SpeedRecord> = {};
  private readonly store: JsonStore<SpeedBook>;
  private readonly serial = new Serial();
  /** When each running job was first seen enlarging, and when it started exporting. */
  private readonly marks = new Map<string, { enlarge?: number; export?: number }>();

  private constructor(private readonly deps: SpeedDeps) {
    // A lost speed book costs only estimates until the next job: no .bak.
    this.store = new JsonStore({ file: deps.file, schema: SpeedBook, backup: false });
  }

  static async open(deps: SpeedDeps): Promise<SpeedStore> {
    const s = new SpeedStore(deps);
    const r = await s.store.load();
    s.records = r.value?.records ?? {};
    if (r.problem) deps.onWarning?.(`${path.basename(deps.file)}: ${r.problem}`);
    return s;
  }

  list(): Record<string, SpeedRecord> {
    return { ...this.records };
  }

  /** Feeds one job event; resolves once a finished job's times are saved. */
  async onEvent(ev: JobEvent, now = Date.now()): Promise<void> {
    if (ev.type === 'progress') {
      const m = this.marks.get(ev.jobId) ?? {};
      if (m.enlarge === undefined && ENLARGING.has(ev.progress.phase)) m.enlarge = now;
      if (m.export === undefined && ev.progress.phase === 'export') m.export = now;
      this.marks.set(ev.jobId, m);
      return;
    }
    if (ev.type !== 'state') return;
    const m = this.marks.get(ev.jobId);
    // Every attempt (a retry, a redo after a crash) is timed from its own start.
    this.marks.delete(ev.jobId);
    if (ev.state === 'running' || ev.state === 'queued') return;
    const job = ev.job;
    // A reused cached model skips training: its time says nothing about a new photo.
    if (ev.state !== 'done' || !job || !m?.enlarge || !job.startedAt || !job.finishedAt || job.cacheHit) return;
    const size = await this.deps.inputSize(job).catch(() => undefined);
    if (!size) return;
    const end = m.export ?? job.finishedAt;
    const outputMP = outputMegapixels(size.width, size.height, job.request.scale);
    const key = speedKey(job.request);
    await this.serial.run(async () => {
      this.records = {
        ...this.records,
        [key]: addSpeedSample(this.records[key], { setupMs: Math.max(0, m.enlarge! - job.startedAt!), enlargeMs: Math.max(0, end - m.enlarge!), outputMP, at: job.finishedAt! }),
      };
      await this.store.save({ version: 1, records: this.records });
      this.deps.onChange?.(this.list());
    });
  }
}

export function createSpeedsApi(speeds: SpeedStore): Pick<StudioApi, 'speeds.list'> {
  return { 'speeds.list': async () => speeds.list() };
}
