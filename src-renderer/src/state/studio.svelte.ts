import type { AppInfo, BackendInfo, ImageItem, ModelInfo, Settings } from '../../../src-main/contract/api';
import type { EnhanceRequest } from '../../../src-main/contract/enhance';
import type { StudioEvent } from '../../../src-main/contract/events';
import type { JobInfo } from '../../../src-main/contract/jobs';
import type { SpeedRecord } from '../../../src-main/contract/speed';
import type { StudioClient } from '../client';
import { StudioError } from '../../../src-main/contract/errors';
import { toPayload } from '../lib/errors';
import { JobsStore, type ExportPlan, type ImageStatus } from './jobs.svelte';
import { LibraryStore } from './library.svelte';
import { SelectionStore, type View } from './selection.svelte';
import { toasts } from './toasts.svelte';

export type { ImageStatus, View };

const NOTICES_SEEN = 'loupe.notices.seen';

/** What the studio recovered at start (damaged state files...): told once, not on every reload. */
function showNotices(notices: AppInfo['notices']): void {
  if (!notices?.length) return;
  let seen = 0;
  try {
    seen = Number(localStorage.getItem(NOTICES_SEEN)) || 0;
  } catch {
    // storage disabled: show them
  }
  const fresh = notices.filter((n) => n.at > seen);
  for (const n of fresh) toasts.push({ kind: 'info', title: 'Recovered after a problem', detail: n.message }, 0);
  try {
    localStorage.setItem(NOTICES_SEEN, String(Math.max(seen, ...notices.map((n) => n.at))));
  } catch {
    // not remembered: shown again next time
  }
}

/**
 * The renderer's root store: what the studio is (info, settings, models, backend) and the three
 * stores that follow the core by events: the library (library.svelte.ts), the jobs
 * (jobs.svelte.ts) and what the user looks at (selection.svelte.ts). Views read it and call its
 * actions; the members below forward to the store that owns them.
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
  /** What jobs took on this machine (the Enhance panel's estimates), by speedKey. */
  speeds = $state.raw<Record<string, SpeedRecord>>({});

  readonly library: LibraryStore;
  readonly jobStore: JobsStore;
  readonly ui: SelectionStore;

  constructor(client: StudioClient) {
    this.client = client;
    this.library = new LibraryStore(client, () => this.info);
    this.jobStore = new JobsStore(client, () => this.library.images);
    this.ui = new SelectionStore(() => this.library.images);
  }

  // ---- the library ----
  get images(): ImageItem[] {
    return this.library.images;
  }
  get importing(): number {
    return this.library.importing;
  }

  // ---- the jobs ----
  get jobs(): Record<string, JobInfo> {
    return this.jobStore.jobs;
  }
  get training(): JobsStore['training'] {
    return this.jobStore.training;
  }
  get pinnedJob(): Record<string, string> {
    return this.jobStore.pinnedJob;
  }
  jobsFor(image: ImageItem): JobInfo[] {
    return this.jobStore.jobsFor(image);
  }
  allJobs(): JobInfo[] {
    return this.jobStore.allJobs();
  }
  imageForJob(job: JobInfo): ImageItem | undefined {
    return this.jobStore.imageForJob(job);
  }
  resultFor(image: ImageItem): JobInfo | undefined {
    return this.jobStore.resultFor(image);
  }
  statusOf(image: ImageItem): ImageStatus {
    return this.jobStore.statusOf(image);
  }
  pin(image: ImageItem, jobId: string): void {
    this.jobStore.pin(image, jobId);
  }
  enhance(images: ImageItem[], req: Omit<EnhanceRequest, 'input'>): Promise<JobInfo[]> {
    return this.jobStore.enhance(images, req);
  }
  cancel(jobId: string): Promise<void> {
    return this.jobStore.cancel(jobId);
  }
  retry(jobId: string): Promise<void> {
    return this.jobStore.retry(jobId);
  }
  exportImages(images: ImageItem[], planFor: (img: ImageItem) => ExportPlan): Promise<{ delivered: number; enhancing: number }> {
    return this.jobStore.exportImages(images, planFor);
  }
  saveOutput(jobId: string, index: number): Promise<void> {
    return this.jobStore.saveOutput(jobId, index);
  }

  // ---- what the user looks at ----
  get view(): View {
    return this.ui.view;
  }
  set view(v: View) {
    this.ui.view = v;
  }
  get exportOpen(): boolean {
    return this.ui.exportOpen;
  }
  set exportOpen(v: boolean) {
    this.ui.exportOpen = v;
  }
  get selection(): string[] {
    return this.ui.selection;
  }
  get currentId(): string | undefined {
    return this.ui.currentId;
  }
  get current(): ImageItem | undefined {
    return this.ui.current;
  }
  get selectedImages(): ImageItem[] {
    return this.ui.selectedImages;
  }
  open(id: string, view: View = 'viewer'): void {
    this.ui.open(id, view);
  }
  select(id: string, mode: 'single' | 'toggle' | 'range'): void {
    this.ui.select(id, mode);
  }
  selectAll(): void {
    this.ui.selectAll();
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
    void c.call('speeds.list').then((r) => (this.speeds = r), () => undefined); // estimates only: none is fine
    const [info, settings, images, jobs] = await Promise.all([c.call('app.info'), c.call('settings.get'), c.call('library.list'), c.call('jobs.list')]);
    this.info = info;
    showNotices(info.notices);
    this.settings = settings;
    this.library.images = images;
    void engine.then(([models, backend]) => {
      if (models.status === 'fulfilled') this.models = models.value;
      else toasts.error(toPayload(models.reason), 'Methods unavailable');
      if (backend.status === 'fulfilled') this.backend = backend.value;
    });
    this.jobStore.set(jobs);
    if (!this.ui.currentId && images.length > 0) this.ui.currentId = images[0].id;
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
      this.library.images = e.items;
      this.ui.keepOnly(e.items);
      return;
    }
    if (e.topic === 'speeds') this.speeds = e.records;
    if (e.topic === 'job') this.jobStore.onEvent(e.event);
  }

  async importFiles(files: File[]): Promise<void> {
    this.ui.show(await this.library.importFiles(files));
  }

  async remove(ids: string[]): Promise<void> {
    await this.library.remove(ids);
    this.ui.keepOnly(this.library.images);
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
}
