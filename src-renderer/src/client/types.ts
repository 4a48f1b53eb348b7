import type { StudioApi, StudioMethod, ImageItem } from '../../../src-main/contract/api';
import type { StudioEvent } from '../../../src-main/contract/events';
import type { Result } from '../../../src-main/contract/errors';
import type { DesktopApiMap, DesktopMethod, MediaKind, MediaOptions, MenuCommand, ResultApiOf } from '../../../src-main/contract/desktop';

export type { MediaKind, MediaOptions, MenuCommand };

/** Desktop-only abilities (native dialogs, the OS file manager, the app menu). */
export interface DesktopAbilities {
  call<M extends DesktopMethod>(method: M, ...args: Parameters<ResultApiOf<DesktopApiMap>[M]>): Promise<
    Extract<Awaited<ReturnType<ResultApiOf<DesktopApiMap>[M]>>, { ok: true }>['value']
  >;
  /** Commands chosen in the native menu that the renderer acts on. */
  onMenu(listener: (command: MenuCommand) => void): () => void;
}

/**
 * The renderer's only way to the core. Two implementations: http.ts (browser, `studio serve`)
 * and electron.ts (the preload bridge). Views never know which one runs.
 */
export interface StudioClient {
  readonly kind: 'http' | 'electron';
  /** One contract method; rejects with a StudioError carrying the contract's error code. */
  call<M extends StudioMethod>(method: M, ...args: Parameters<StudioApi[M]>): ReturnType<StudioApi[M]>;
  /** Every StudioEvent pushed by the core; returns the unsubscribe function. */
  subscribe(listener: (event: StudioEvent) => void): () => void;
  /** Whether the event stream is up (reconnects are the implementation's business). */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  /** Adds photos picked, dropped or pasted by the user; one result per file, in order. */
  importFiles(files: readonly File[]): Promise<Result<ImageItem>[]>;
  /** A URL an <img> can load (http: `/media/...`, Electron: `studio-media://...`). */
  mediaUrl(kind: MediaKind, id: string, options?: MediaOptions): string;
  /**
   * Saves the n-th output of a job where the user wants it: the browser downloads it, the
   * desktop asks with a native Save dialog. Resolves to the saved path when known. Optional:
   * without it the desktop's 'desktop.saveOutputAs' is used.
   */
  saveOutput?(jobId: string, index: number): Promise<string | null>;
  /** Present in the desktop app only. */
  readonly desktop?: DesktopAbilities;
}
