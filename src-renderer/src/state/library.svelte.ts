import type { AppInfo, ImageItem } from '../../../src-main/contract/api';
import type { StudioClient } from '../client';
import { toPayload } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { toasts } from './toasts.svelte';

/** The photos of the library, kept current by 'library' events; importing and removing them. */
export class LibraryStore {
  images = $state.raw<ImageItem[]>([]);
  importing = $state(0);

  constructor(
    private readonly client: StudioClient,
    private readonly info: () => AppInfo | undefined,
  ) {}

  get(id: string | undefined): ImageItem | undefined {
    return id === undefined ? undefined : this.images.find((i) => i.id === id);
  }

  /** Adds photos; returns the ones added (the caller selects them). */
  async importFiles(files: File[]): Promise<ImageItem[]> {
    if (files.length === 0) return [];
    const limitMB = this.info()?.limits.maxUploadMB;
    const ok: File[] = [];
    for (const f of files) {
      if (limitMB !== undefined && this.client.kind === 'http' && f.size > limitMB * 1024 * 1024) {
        toasts.error({ code: 'E_PAYLOAD_TOO_LARGE', message: `${f.name} is ${formatBytes(f.size)}; the limit is ${limitMB} MB (max_MB).` }, `Cannot import ${f.name}`);
      } else ok.push(f);
    }
    if (ok.length === 0) return [];
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
        toasts.push({ kind: 'success', title: added.length === 1 ? `Imported ${added[0].name}` : `Imported ${added.length} photos` });
      }
      return added;
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
  }
}
