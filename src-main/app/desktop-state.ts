import path from 'node:path';
import { z } from 'zod';
import { JsonStore } from '../base/json-store';

// What only the desktop shell remembers: the window's place and the recent files. Settings of
// the studio itself (backend, cache size, output folder) are the service's (settings.update).

export const WindowBounds = z.object({
  x: z.number().int().min(-100_000).max(100_000),
  y: z.number().int().min(-100_000).max(100_000),
  width: z.number().int().min(200).max(100_000),
  height: z.number().int().min(150).max(100_000),
});
export type WindowBounds = z.infer<typeof WindowBounds>;

export const DesktopState = z
  .object({
    version: z.literal(1),
    window: z.object({ bounds: WindowBounds.optional(), maximized: z.boolean(), fullScreen: z.boolean() }).strict(),
    recentFiles: z.array(z.string().min(1).max(4096)).max(50),
  })
  .strict();
export type DesktopState = z.infer<typeof DesktopState>;

export const MAX_RECENT = 12;

export function defaultDesktopState(): DesktopState {
  return { version: 1, window: { maximized: false, fullScreen: false }, recentFiles: [] };
}

/** The newly opened paths first (in the order given), then the older ones; no duplicates, at most MAX_RECENT. */
export function pushRecent(list: readonly string[], paths: readonly string[]): string[] {
  return [...new Set([...paths, ...list])].slice(0, MAX_RECENT);
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Saved bounds if they still fit a connected display (a monitor may have been unplugged), else
 * a default size centred on the primary display's work area.
 */
export function restoreBounds(saved: WindowBounds | undefined, workAreas: readonly Rect[], fallback = { width: 1440, height: 900 }): Rect {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: fallback.width, height: fallback.height };
  if (saved) {
    // Visible enough = at least 100 x 50 px of the title-bar region on some display.
    const visible = workAreas.some((a) => {
      const w = Math.min(saved.x + saved.width, a.x + a.width) - Math.max(saved.x, a.x);
      const h = Math.min(saved.y + 50, a.y + a.height) - Math.max(saved.y, a.y);
      return w >= 100 && h >= 50;
    });
    if (visible) return { ...saved };
  }
  const width = Math.min(fallback.width, primary.width);
  const height = Math.min(fallback.height, primary.height);
  return {
    x: Math.round(primary.x + (primary.width - width) / 2),
    y: Math.round(primary.y + (primary.height - height) / 2),
    width,
    height,
  };
}

/** desktop.json under the data dir; writes are coalesced so dragging a window writes once. */
export class DesktopStateStore {
  private state: DesktopState = defaultDesktopState();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly store: JsonStore<DesktopState>;
  readonly file: string;

  constructor(dataDir: string, private readonly delayMs = 400) {
    this.file = path.join(dataDir, 'desktop.json');
    // Private to this user (recent files say what they work on).
    this.store = new JsonStore({ file: this.file, schema: DesktopState, mode: 0o600 });
  }

  /** Loads the file (base/json-store policy); with nothing usable, the defaults. Returns the problem, for the log. */
  async load(): Promise<string | undefined> {
    const r = await this.store.load();
    this.state = r.value ?? defaultDesktopState();
    return r.problem;
  }

  get(): DesktopState {
    return structuredClone(this.state);
  }

  update(fn: (s: DesktopState) => DesktopState): void {
    const next = DesktopState.parse(fn(this.get()));
    this.state = next;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Writes now (also on quit); resolves when the file is on disk. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const snapshot = this.get();
    // A failed write must not wedge the chain: the next flush tries again.
    const next = this.writing.catch(() => undefined).then(() => this.store.save(snapshot));
    this.writing = next;
    return next;
  }
}
