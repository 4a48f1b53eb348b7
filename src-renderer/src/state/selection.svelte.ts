import type { ImageItem } from '../../../src-main/contract/api';

export type View = 'library' | 'viewer' | 'compare' | 'queue' | 'settings';

/** What the user is looking at: the view, the current photo and the selected ones. */
export class SelectionStore {
  view = $state<View>('library');
  selection = $state.raw<string[]>([]);
  currentId = $state<string | undefined>();
  exportOpen = $state(false);

  constructor(private readonly images: () => ImageItem[]) {}

  get current(): ImageItem | undefined {
    return this.images().find((i) => i.id === this.currentId);
  }

  get selectedImages(): ImageItem[] {
    const set = new Set(this.selection);
    return this.images().filter((i) => set.has(i.id));
  }

  open(id: string, view: View = 'viewer'): void {
    this.currentId = id;
    if (!this.selection.includes(id)) this.selection = [id];
    this.view = view;
  }

  select(id: string, mode: 'single' | 'toggle' | 'range'): void {
    if (mode === 'single') this.selection = [id];
    else if (mode === 'toggle') this.selection = this.selection.includes(id) ? this.selection.filter((x) => x !== id) : [...this.selection, id];
    else {
      const ids = this.images().map((i) => i.id);
      const anchor = ids.indexOf(this.currentId ?? id);
      const to = ids.indexOf(id);
      const [a, b] = anchor < to ? [anchor, to] : [to, anchor];
      this.selection = ids.slice(Math.max(0, a), b + 1);
      return;
    }
    this.currentId = id;
  }

  selectAll(): void {
    this.selection = this.images().map((i) => i.id);
  }

  /** The library changed: forget what is gone. */
  keepOnly(images: ImageItem[]): void {
    if (this.currentId && !images.some((i) => i.id === this.currentId)) this.currentId = images[0]?.id;
    this.selection = this.selection.filter((id) => images.some((i) => i.id === id));
  }

  /** Photos just added become the selection. */
  show(added: ImageItem[]): void {
    if (added.length === 0) return;
    this.selection = added.map((a) => a.id);
    this.currentId = added[0].id;
  }
}
