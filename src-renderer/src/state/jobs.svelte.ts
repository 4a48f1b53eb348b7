import type { ImageItem, ResultExport } from '../../../src-main/contract/api';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import { addLossPoint, type JobEvent, type JobInfo, type LossThinning } from '../../../src-main/contract/jobs';
import type { StudioClient } from '../client';
import { toPayload } from '../lib/errors';
import { toasts } from './toasts.svelte';

/** What exporting a photo takes: its shown result delivered as it is, or an enhance first (then, with presets, their deliverables). */
export type ExportPlan = { jobId: string; export: Omit<ResultExport, 'jobId'> } | { enhance: Omit<EnhanceRequest, 'input'>; export?: Omit<ResultExport, 'jobId'> };

export type ImageStatus = 'new' | 'queued' | 'training' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * The jobs the core knows, kept current by job events (a state change carries the whole job),
 * and what belongs to them: live training detail, which result a photo shows, exports awaited.
 */
export class JobsStore {
  jobs = $state.raw<Record<string, JobInfo>>({});
  /** Live training detail not in JobInfo: total steps and the latest learning rate. */
  training = $state.raw<Record<string, { totalSteps: number; lr: number }>>({});
  /** The job whose output the viewer shows for an image (default: its latest done job). */
  pinnedJob = $state.raw<Record<string, string>>({});
  /** The live loss curves' thinning (the contract's one rule, as in the core's JobInfo). */
  private lossThinning = new Map<string, LossThinning>();
  /** Export jobs the user is waiting for: a notice when each ends (and, with presets, the export of its result). */
  private exportJobs = new Map<string, Omit<ResultExport, 'jobId'> | undefined>();

  constructor(
    private readonly client: StudioClient,
    private readonly images: () => ImageItem[],
  ) {}

  set(list: JobInfo[]): void {
    this.jobs = Object.fromEntries(list.map((j) => [j.id, j]));
  }

  /**
   * A job a call answered with. Its events are the ordered truth: a fast job can be done (and its
   * events here) before the answer to its enqueue arrives, so a known job is not replaced by it.
   */
  private remember(job: JobInfo): void {
    if (!this.jobs[job.id]) this.jobs = { ...this.jobs, [job.id]: job };
  }

  /** Jobs of an image, newest first: by the image id the job carries (older jobs: by path). */
  jobsFor(image: ImageItem): JobInfo[] {
    return Object.values(this.jobs)
      .filter((j) => (j.imageId !== undefined ? j.imageId === image.id : j.request.input === image.path))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  allJobs(): JobInfo[] {
    return Object.values(this.jobs).sort((a, b) => b.createdAt - a.createdAt);
  }

  imageForJob(job: JobInfo): ImageItem | undefined {
    const images = this.images();
    return job.imageId !== undefined ? images.find((i) => i.id === job.imageId) : images.find((i) => i.path === job.request.input);
  }

  /** The result the viewer shows: the pinned job if still done, else the newest done job. */
  resultFor(image: ImageItem): JobInfo | undefined {
    const jobs = this.jobsFor(image);
    const pinned = this.pinnedJob[image.id];
    const p = pinned ? jobs.find((j) => j.id === pinned && j.state === 'done' && j.outputs.length > 0) : undefined;
    return p ?? jobs.find((j) => j.state === 'done' && j.outputs.length > 0);
  }

  /** Work under way first; a cancelled retake does not hide an earlier good result. */
  statusOf(image: ImageItem): ImageStatus {
    const jobs = this.jobsFor(image);
    const running = jobs.find((j) => j.state === 'running');
    if (running) return running.progress?.phase === 'train' ? 'training' : 'running';
    if (jobs.some((j) => j.state === 'queued')) return 'queued';
    const latest = jobs[0];
    if (!latest) return 'new';
    if (latest.state === 'cancelled' && jobs.some((j) => j.state === 'done')) return 'done';
    return latest.state;
  }

  pin(image: ImageItem, jobId: string): void {
    this.pinnedJob = { ...this.pinnedJob, [image.id]: jobId };
  }

  onEvent(ev: JobEvent): void {
    switch (ev.type) {
      case 'state': {
        // The event carries the job as it is now (outputs, timings, the thinned loss curve).
        const job = ev.job;
        if (!job) {
          this.patch(ev.jobId, (j) => ({ ...j, state: ev.state, ...(ev.error ? { error: ev.error } : {}) }));
          return;
        }
        this.jobs = { ...this.jobs, [job.id]: { ...job, loss: job.loss && job.loss.length > 0 ? job.loss : this.jobs[job.id]?.loss } };
        if (job.state === 'queued' || job.state === 'running') return;
        this.lossThinning.delete(job.id);
        if (this.exportJobs.has(job.id)) this.noticeExport(job);
        else if (job.state === 'failed' && job.error) toasts.error(job.error, `${this.imageForJob(job)?.name ?? 'Job'} failed`);
        return;
      }
      case 'progress':
        this.patch(ev.jobId, (j) => ({ ...j, state: j.state === 'queued' ? 'running' : j.state, progress: ev.progress }));
        return;
      case 'train':
        this.training = { ...this.training, [ev.jobId]: { totalSteps: ev.totalSteps, lr: ev.lr } };
        this.patch(ev.jobId, (j) => ({
          ...j,
          state: j.state === 'queued' ? 'running' : j.state,
          progress: { phase: 'train', done: ev.step, total: ev.totalSteps, ...(ev.etaMs !== undefined ? { etaMs: ev.etaMs } : {}) },
          loss: addLossPoint(j.loss ?? [], { step: ev.step, loss: ev.loss, lr: ev.lr }, this.thinningOf(ev.jobId)),
        }));
        return;
      case 'info':
        if (ev.notice) toasts.push({ kind: 'info', title: 'Compute', detail: ev.message });
        this.patch(ev.jobId, (j) => ({ ...j, ...(ev.backend ? { backend: ev.backend } : {}), ...(ev.cacheHit !== undefined ? { cacheHit: ev.cacheHit } : {}) }));
        return;
      case 'output':
        this.patch(ev.jobId, (j) => ({ ...j, outputs: ev.files }));
        return;
    }
  }

  /** Enqueues one job per image with the same settings; returns the jobs that were accepted. */
  async enhance(images: ImageItem[], req: Omit<EnhanceRequest, 'input'>): Promise<JobInfo[]> {
    const out: JobInfo[] = [];
    for (const img of images) {
      try {
        const job = await this.client.call('jobs.enqueue', { ...req, input: img.path });
        this.remember(job);
        this.pinnedJob = { ...this.pinnedJob, [img.id]: job.id };
        out.push(job);
      } catch (err) {
        toasts.error(toPayload(err), `Cannot enhance ${img.name}`);
      }
    }
    return out;
  }

  async cancel(jobId: string): Promise<void> {
    try {
      this.remember(await this.client.call('jobs.cancel', jobId));
    } catch (err) {
      toasts.error(toPayload(err), 'Cannot cancel');
    }
  }

  async retry(jobId: string): Promise<void> {
    try {
      const job = await this.client.call('jobs.retry', jobId);
      this.remember(job);
      const img = this.imageForJob(job);
      if (img) this.pinnedJob = { ...this.pinnedJob, [img.id]: job.id };
    } catch (err) {
      toasts.error(toPayload(err), 'Cannot retry');
    }
  }

  /**
   * Exports each photo by its plan and tells the user where the files landed: a shown result is
   * rendered from its file at once (no new job); otherwise an enhance job runs first.
   */
  /** How many photos were delivered from their results, and how many enhance first (delivered when done). */
  async exportImages(images: ImageItem[], planFor: (img: ImageItem) => ExportPlan): Promise<{ delivered: number; enhancing: number }> {
    let enhancing = 0;
    // Results are delivered from their files in seconds: waited for, so a refused destination
    // keeps the dialog open with its notice.
    const delivered: Promise<boolean>[] = [];
    for (const img of images) {
      try {
        const plan = planFor(img);
        if ('jobId' in plan) {
          delivered.push(this.exportResult(img.name, plan.jobId, plan.export));
        } else {
          const job = await this.client.call('jobs.enqueue', { ...plan.enhance, input: img.path });
          this.remember(job);
          this.exportJobs.set(job.id, plan.export);
          // Done before this answer came: its state event passed without knowing it was an export.
          this.noticeExport(this.jobs[job.id] ?? job);
          enhancing++;
        }
      } catch (err) {
        toasts.error(toPayload(err), `Cannot export ${img.name}`);
      }
    }
    return { delivered: (await Promise.all(delivered)).filter(Boolean).length, enhancing };
  }

  private async exportResult(name: string, jobId: string, exp: Omit<ResultExport, 'jobId'>): Promise<boolean> {
    try {
      const { files } = await this.client.call('jobs.export', { ...exp, jobId });
      toasts.push({ kind: 'success', title: `Exported ${name}`, detail: files.join('\n') }, 8000);
      return true;
    } catch (err) {
      toasts.error(toPayload(err), `Cannot export ${name}`);
      return false;
    }
  }

  /** "Save a copy" of an output: a download in the browser, a Save dialog on the desktop. */
  async saveOutput(jobId: string, index: number): Promise<void> {
    try {
      if (this.client.saveOutput) await this.client.saveOutput(jobId, index);
      else await this.client.desktop?.call('desktop.saveOutputAs', jobId, index);
    } catch (err) {
      toasts.error(toPayload(err), 'Cannot save');
    }
  }

  private noticeExport(job: JobInfo): void {
    if (!this.exportJobs.has(job.id)) return;
    const then = this.exportJobs.get(job.id);
    if (job.state === 'done' && then) {
      this.exportJobs.delete(job.id);
      void this.exportResult(this.imageForJob(job)?.name ?? '', job.id, then);
    } else if (job.state === 'done') {
      this.exportJobs.delete(job.id);
      const file = job.outputs[0] ?? '';
      toasts.push(
        {
          kind: 'success',
          title: `Exported ${this.imageForJob(job)?.name ?? ''}`.trim(),
          detail: job.outputs.join('\n'),
          ...(file ? { action: { label: this.client.kind === 'http' ? 'Download' : 'Save a copy…', run: () => void this.saveOutput(job.id, 0) } } : {}),
        },
        8000,
      );
    } else if (job.state === 'failed' || job.state === 'cancelled') {
      this.exportJobs.delete(job.id);
      if (job.error) toasts.error(job.error, 'Export failed');
    }
  }

  private thinningOf(jobId: string): LossThinning {
    let t = this.lossThinning.get(jobId);
    if (!t) this.lossThinning.set(jobId, (t = { n: 0, stride: 1 }));
    return t;
  }

  private patch(id: string, patch: (j: JobInfo) => JobInfo): void {
    const j = this.jobs[id];
    if (!j) {
      // A job started elsewhere (CLI, watched folder): fetch it once.
      void this.client.call('jobs.get', id).then((job) => (this.jobs = { ...this.jobs, [id]: job }), () => undefined);
      return;
    }
    this.jobs = { ...this.jobs, [id]: patch(j) };
  }
}
