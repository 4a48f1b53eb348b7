import type { AppInfo, BackendInfo, ImageItem, ModelInfo, Settings } from '../../../src-main/contract/api';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import type { StudioEvent } from '../../../src-main/contract/events';
import type { JobEvent, JobInfo, LossPoint } from '../../../src-main/contract/jobs';
import type { StudioClient } from '../client';
import { StudioError } from '../../../src-main/contract/errors';
import { toPayload } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { toasts } from './toasts.svelte';

export type View = 'library' | 'viewer' | 'compare' | 'queue' | 'settings';
export type ImageStatus = 'new' | 'queued' | 'training' | 'running' | 'done' | 'failed' | 'cancelled';

const MAX_LOSS_POINTS = 600;

/** Keeps a loss series short enough to draw: every other point once it grows past the cap. */
function thin(points: LossPoint[]): LossPoint[] {
  if (points.length <= MAX_LOSS_POINTS) return points;
  const out = points.filter((_, i) => i % 2 === 0);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

/**
 * The renderer's one store: what the core knows (images, jobs, models, settings), kept current
 * by events, plus what the user is looking at. Views read it and call its actions.
 */
export class Studio {
  client: StudioClient;
  ready = $state(false);
  loadError = $state<string | undefined>();
  connected = $state(true);

  info = $state.raw<AppInfo | undefined>();
  backend = $state.raw<BackendInfo | undefined>();
  settings = $state.raw<Settings | undefined>();
  models = $state.raw<ModelInfo[]>([]);
  images = $state.raw<ImageItem[]>([]);
  jobs = $state.raw<Record<string, JobInfo>>({});
  /** Live training detail not in JobInfo: total steps and the latest learning rate. */
  training = $state.raw<Record<string, { totalSteps: number; lr: number; etaMs?: number }>>({});

  view = $state<View>('library');
  selection = $state.raw<string[]>([]);
  currentId = $state<string | undefined>();
  /** The job whose output the viewer shows for the current image (default: its latest done job). */
  pinnedJob = $state.raw<Record<string, string>>({});
  importing = $state(0);
  /** Export jobs the user is waiting for: a notice when each ends. */
  private exportJobs = new Set<string>();
  exportOpen = $state(false);

  constructor(client: StudioClient) {
    this.client = client;
  }

  get current(): ImageItem | undefined {
    return this.images.find((i) => i.id === this.currentId);
  }

  get selectedImages(): ImageItem[] {
    const set = new Set(this.selection);
    return this.images.filter((i) => set.has(i.id));
  }

  /** Jobs of an image, newest first. */
  jobsFor(image: ImageItem): JobInfo[] {
    return Object.values(this.jobs)
      .filter((j) => j.request.input === image.path)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  allJobs(): JobInfo[] {
    return Object.values(this.jobs).sort((a, b) => b.createdAt - a.createdAt);
  }

  imageForJob(job: JobInfo): ImageItem | undefined {
    return this.images.find((i) => i.path === job.request.input);
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

  model(id: string): ModelInfo | undefined {
    return this.models.find((m) => m.id === id);
  }

  async start(): Promise<void> {
    this.client.subscribe((e) => this.onEvent(e));
    let everUp = false;
    let wasDown = false;
    this.client.onConnectionChange((up) => {
      this.connected = up || !everUp;
      // Events missed while the stream was down: catch up from the source of truth.
      if (up && wasDown) void this.refresh();
      if (up) everUp = true;
      else if (everUp) wasDown = true;
    });
    try {
      await this.refresh();
      this.ready = true;
    } catch (err) {
      this.loadError = toPayload(err).message;
    }
  }

  async refresh(): Promise<void> {
    const c = this.client;
    // The engine answers models and backend; if it cannot start, the library still opens.
    const engine = Promise.allSettled([c.call('models.list'), c.call('app.backend')]);
    const [info, settings, images, jobs] = await Promise.all([c.call('app.info'), c.call('settings.get'), c.call('library.list'), c.call('jobs.list')]);
    this.info = info;
    this.settings = settings;
    this.images = images;
    void engine.then(([models, backend]) => {
      if (models.status === 'fulfilled') this.models = models.value;
      else toasts.error(toPayload(models.reason), 'Methods unavailable');
      if (backend.status === 'fulfilled') this.backend = backend.value;
    });
    this.jobs = Object.fromEntries(jobs.map((j) => [j.id, j]));
    if (!this.currentId && images.length > 0) this.currentId = images[0].id;
  }

  /**
   * Import a model file picked in the app (for ncnn: the .param and the .bin together). The
   * files go to the studio piece by piece (512 KiB each), then it reads and checks them.
   */
  async addModel(files: readonly File[], name?: string): Promise<ModelInfo | undefined> {
    const batch = Array.from(crypto.getRandomValues(new Uint8Array(10)), (b) => b.toString(16).padStart(2, '0')).join('');
    const primary = files.find((f) => /\.param$/i.test(f.name)) ?? files.find((f) => !/\.bin$/i.test(f.name)) ?? files[0];
    try {
      if (!primary) throw new StudioError('E_INVALID_ARGUMENT', 'no file chosen');
      let staged = '';
      for (const f of files) {
        const bytes = new Uint8Array(await f.arrayBuffer());
        const PIECE = 512 * 1024;
        for (let offset = 0; offset === 0 || offset < bytes.length; offset += PIECE) {
          let bin = '';
          for (const b of bytes.subarray(offset, offset + PIECE)) bin += String.fromCharCode(b);
          const r = await this.client.call('models.stage', { batch, fileName: f.name, offset, data: btoa(bin) });
          if (f === primary) staged = r.path;
        }
      }
      const m = await this.client.call('models.add', { path: staged, ...(name ? { name } : {}) });
      this.models = await this.client.call('models.list');
      toasts.push({ kind: 'success', title: `Added ${m.label}` });
      return m;
    } catch (err) {
      toasts.error(toPayload(err), `Cannot add ${primary?.name ?? 'the model'}`);
      return undefined;
    }
  }

  async removeModel(id: string): Promise<void> {
    try {
      await this.client.call('models.remove', id);
      this.models = await this.client.call('models.list');
    } catch (err) {
      toasts.error(toPayload(err), 'Cannot remove the model');
    }
  }

  private onEvent(e: StudioEvent): void {
    if (e.topic === 'library') {
      this.images = e.items;
      if (this.currentId && !e.items.some((i) => i.id === this.currentId)) this.currentId = e.items[0]?.id;
      this.selection = this.selection.filter((id) => e.items.some((i) => i.id === id));
      return;
    }
    if (e.topic === 'job') this.onJobEvent(e.event);
  }

  private patchJob(id: string, patch: (j: JobInfo) => JobInfo): void {
    const j = this.jobs[id];
    if (!j) {
      // A job started elsewhere (CLI, watched folder): fetch it once.
      void this.client.call('jobs.get', id).then((job) => (this.jobs = { ...this.jobs, [id]: job }), () => undefined);
      return;
    }
    this.jobs = { ...this.jobs, [id]: patch(j) };
  }

  private onJobEvent(ev: JobEvent): void {
    switch (ev.type) {
      case 'state':
        this.patchJob(ev.jobId, (j) => ({ ...j, state: ev.state, ...(ev.error ? { error: ev.error } : {}) }));
        // Final states carry outputs/timings we do not get as events: re-read the job.
        if (ev.state !== 'running') {
          void this.client.call('jobs.get', ev.jobId).then(
            (job) => {
              this.jobs = { ...this.jobs, [job.id]: { ...job, loss: job.loss && job.loss.length > 0 ? job.loss : this.jobs[job.id]?.loss } };
              if (this.exportJobs.has(job.id)) this.noticeExport(job);
              else if (job.state === 'failed' && job.error) toasts.error(job.error, `${this.imageForJob(job)?.name ?? 'Job'} failed`);
            },
            () => undefined,
          );
        }
        return;
      case 'progress':
        this.patchJob(ev.jobId, (j) => ({ ...j, state: j.state === 'queued' ? 'running' : j.state, progress: ev.progress }));
        return;
      case 'train':
        this.training = { ...this.training, [ev.jobId]: { totalSteps: ev.totalSteps, lr: ev.lr, etaMs: ev.etaMs } };
        this.patchJob(ev.jobId, (j) => ({
          ...j,
          state: j.state === 'queued' ? 'running' : j.state,
          progress: { phase: 'train', done: ev.step, total: ev.totalSteps, ...(ev.etaMs !== undefined ? { etaMs: ev.etaMs } : {}) },
          loss: thin([...(j.loss ?? []), { step: ev.step, loss: ev.loss, lr: ev.lr }]),
        }));
        return;
      case 'info':
        if (ev.notice) toasts.push({ kind: 'info', title: 'Compute', detail: ev.message });
        this.patchJob(ev.jobId, (j) => ({ ...j, ...(ev.backend ? { backend: ev.backend } : {}), ...(ev.cacheHit !== undefined ? { cacheHit: ev.cacheHit } : {}) }));
        return;
      case 'output':
        this.patchJob(ev.jobId, (j) => ({ ...j, outputs: ev.files }));
        return;
    }
  }

  // ---- actions ----

  open(id: string, view: View = 'viewer'): void {
    this.currentId = id;
    if (!this.selection.includes(id)) this.selection = [id];
    this.view = view;
  }

  select(id: string, mode: 'single' | 'toggle' | 'range'): void {
    if (mode === 'single') this.selection = [id];
    else if (mode === 'toggle') this.selection = this.selection.includes(id) ? this.selection.filter((x) => x !== id) : [...this.selection, id];
    else {
      const ids = this.images.map((i) => i.id);
      const anchor = ids.indexOf(this.currentId ?? id);
      const to = ids.indexOf(id);
      const [a, b] = anchor < to ? [anchor, to] : [to, anchor];
      this.selection = ids.slice(Math.max(0, a), b + 1);
      return;
    }
    this.currentId = id;
  }

  selectAll(): void {
    this.selection = this.images.map((i) => i.id);
  }

  async importFiles(files: File[]): Promise<void> {
    if (files.length === 0) return;
    const limitMB = this.info?.limits.maxUploadMB;
    const ok: File[] = [];
    for (const f of files) {
      if (limitMB !== undefined && this.client.kind === 'http' && f.size > limitMB * 1024 * 1024) {
        toasts.error({ code: 'E_PAYLOAD_TOO_LARGE', message: `${f.name} is ${formatBytes(f.size)}; the limit is ${limitMB} MB (max_MB).` }, `Cannot import ${f.name}`);
      } else ok.push(f);
    }
    if (ok.length === 0) return;
    this.importing += ok.length;
    try {
      const results = await this.client.importFiles(ok);
      const added: ImageItem[] = [];
      results.forEach((r, i) => {
        if (r.ok) added.push(r.value);
        else toasts.error(r.error, `Cannot import ${ok[i].name}`);
      });
      if (added.length > 0) {
        const known = new Set(this.images.map((i) => i.id));
        this.images = [...this.images, ...added.filter((a) => !known.has(a.id))];
        this.selection = added.map((a) => a.id);
        this.currentId = added[0].id;
        toasts.push({ kind: 'success', title: added.length === 1 ? `Imported ${added[0].name}` : `Imported ${added.length} photos` });
      }
    } finally {
      this.importing -= ok.length;
    }
  }

  async remove(ids: string[]): Promise<void> {
    for (const id of ids) {
      try {
        await this.client.call('library.remove', id);
      } catch (err) {
        toasts.error(toPayload(err), 'Cannot remove');
      }
    }
    this.images = this.images.filter((i) => !ids.includes(i.id));
    this.selection = this.selection.filter((id) => !ids.includes(id));
    if (this.currentId && ids.includes(this.currentId)) this.currentId = this.images[0]?.id;
  }

  /** Enqueues one job per image with the same settings; returns the jobs that were accepted. */
  async enhance(images: ImageItem[], req: Omit<EnhanceRequest, 'input'>): Promise<JobInfo[]> {
    const out: JobInfo[] = [];
    for (const img of images) {
      try {
        const job = await this.client.call('jobs.enqueue', { ...req, input: img.path });
        this.jobs = { ...this.jobs, [job.id]: job };
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
      const job = await this.client.call('jobs.cancel', jobId);
      this.jobs = { ...this.jobs, [job.id]: { ...job, loss: job.loss?.length ? job.loss : this.jobs[job.id]?.loss } };
    } catch (err) {
      toasts.error(toPayload(err), 'Cannot cancel');
    }
  }

  async retry(jobId: string): Promise<void> {
    try {
      const job = await this.client.call('jobs.retry', jobId);
      this.jobs = { ...this.jobs, [job.id]: job };
      const img = this.imageForJob(job);
      if (img) this.pinnedJob = { ...this.pinnedJob, [img.id]: job.id };
    } catch (err) {
      toasts.error(toPayload(err), 'Cannot retry');
    }
  }

  async updateSettings(patch: Partial<Settings>): Promise<boolean> {
    try {
      this.settings = await this.client.call('settings.update', patch);
      this.backend = await this.client.call('app.backend');
      toasts.push({ kind: 'success', title: 'Settings saved' });
      return true;
    } catch (err) {
      toasts.error(toPayload(err), 'Settings not saved');
      return false;
    }
  }

  /** Enqueues exports and tells the user where each file landed when it is written. */
  async exportImages(images: ImageItem[], reqFor: (img: ImageItem) => Omit<EnhanceRequest, 'input'>): Promise<number> {
    let n = 0;
    for (const img of images) {
      try {
        const job = await this.client.call('jobs.enqueue', { ...reqFor(img), input: img.path });
        this.jobs = { ...this.jobs, [job.id]: job };
        this.exportJobs.add(job.id);
        this.noticeExport(job);
        n++;
      } catch (err) {
        toasts.error(toPayload(err), `Cannot export ${img.name}`);
      }
    }
    return n;
  }

  private noticeExport(job: JobInfo): void {
    if (!this.exportJobs.has(job.id)) return;
    if (job.state === 'done') {
      this.exportJobs.delete(job.id);
      const file = job.outputs[0] ?? '';
      toasts.push({
        kind: 'success',
        title: `Exported ${this.imageForJob(job)?.name ?? ''}`.trim(),
        detail: job.outputs.join('\n'),
        ...(file ? { action: { label: this.client.kind === 'http' ? 'Download' : 'Save a copy…', run: () => void this.saveOutput(job.id, 0) } } : {}),
      }, 8000);
    } else if (job.state === 'failed' || job.state === 'cancelled') {
      this.exportJobs.delete(job.id);
      if (job.error) toasts.error(job.error, 'Export failed');
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

  pin(image: ImageItem, jobId: string): void {
    this.pinnedJob = { ...this.pinnedJob, [image.id]: jobId };
  }
}
