import type { ImageItem, StudioApi, StudioMethod } from '../../../src-main/contract/api';
import type { StudioBridge } from '../../../src-main/contract/bridge';
import type { DesktopEvent, DesktopMethod, MenuCommand } from '../../../src-main/contract/desktop';
import { StudioError, type Result } from '../../../src-main/contract/errors';
import type { StudioEvent } from '../../../src-main/contract/events';
import type { DesktopAbilities, MediaKind, MediaOptions, StudioClient } from './types';

// The desktop door: the same StudioClient over the preload bridge (`window.studio`). Calls come
// back as Results (contextBridge would keep only the message of a thrown error), and are turned
// into StudioErrors here so views see the same errors as over HTTP.

/** Menu commands arrive as this DOM event on `window` (detail = the command). */
export const MENU_EVENT = 'studio:menu';

export interface ElectronClient extends StudioClient {
  readonly kind: 'electron';
  /** Native dialogs, "Show in folder", recent files (throwing StudioErrors) and menu commands. */
  readonly desktop: DesktopAbilities;
}

function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new StudioError(r.error.code, r.error.message, r.error.details);
}

function bridgeOf(): StudioBridge {
  const b = (window as unknown as { studio?: StudioBridge }).studio;
  if (!b) throw new StudioError('E_INTERNAL', 'the desktop bridge is missing (is the preload loaded?)');
  return b;
}

function errorOf(err: unknown): Result<never> {
  const e = err instanceof StudioError ? err : new StudioError('E_INTERNAL', err instanceof Error ? err.message : String(err));
  return { ok: false, error: e.toPayload() };
}

export function createElectronClient(bridge: StudioBridge = bridgeOf()): ElectronClient {
  const menuListeners = new Set<(c: MenuCommand) => void>();
  const studioListeners = new Set<(e: StudioEvent) => void>();
  let unsubscribeBridge: (() => void) | undefined;

  // One bridge subscription for all listeners; menu events go to onMenu and to a DOM event.
  function ensureEvents(): void {
    if (unsubscribeBridge) return;
    unsubscribeBridge = bridge.onEvent((event: StudioEvent | DesktopEvent) => {
      if (event.topic === 'menu') {
        for (const l of menuListeners) l(event.command);
        window.dispatchEvent(new CustomEvent<MenuCommand>(MENU_EVENT, { detail: event.command }));
        return;
      }
      for (const l of studioListeners) l(event);
    });
  }

  const desktop: DesktopAbilities = {
    call(method, ...args) {
      const fn = bridge.desktop[method] as unknown as ((...a: unknown[]) => Promise<Result<unknown>>) | undefined;
      if (!fn) return Promise.reject(new StudioError('E_INVALID_ARGUMENT', `unknown desktop method ${method satisfies DesktopMethod}`));
      return fn(...args).then(unwrap) as ReturnType<DesktopAbilities['call']>;
    },
    onMenu(listener) {
      menuListeners.add(listener);
      return () => menuListeners.delete(listener);
    },
  };

  async function importOne(file: File): Promise<ImageItem> {
    const path = bridge.pathForFile(file);
    if (path) {
      const [item] = unwrap(await bridge.api['library.addPaths']([path]));
      if (!item) throw new StudioError('E_INTERNAL', `the library did not take ${file.name}`);
      return item;
    }
    // Pasted or generated images have no file behind them: send the bytes.
    const bytes = new Uint8Array(await file.arrayBuffer());
    return unwrap(await bridge.desktop['desktop.importBytes'](file.name || 'pasted image.png', bytes));
  }

  ensureEvents();
  return {
    kind: 'electron',
    desktop,
    call<M extends StudioMethod>(method: M, ...args: Parameters<StudioApi[M]>): ReturnType<StudioApi[M]> {
      const fn = bridge.api[method] as unknown as ((...a: unknown[]) => Promise<Result<unknown>>) | undefined;
      if (!fn) return Promise.reject(new StudioError('E_INVALID_ARGUMENT', `unknown method ${method}`)) as ReturnType<StudioApi[M]>;
      return fn(...args).then(unwrap) as ReturnType<StudioApi[M]>;
    },
    subscribe(listener) {
      studioListeners.add(listener);
      return () => studioListeners.delete(listener);
    },
    onConnectionChange(listener) {
      // IPC has no connection to lose: the main process lives as long as the window.
      listener(true);
      return () => undefined;
    },
    async importFiles(files) {
      const results: Result<ImageItem>[] = [];
      for (const file of files) {
        try {
          results.push({ ok: true, value: await importOne(file) });
        } catch (err) {
          results.push(errorOf(err));
        }
      }
      return results;
    },
    mediaUrl(kind: MediaKind, id: string, options: MediaOptions = {}) {
      return bridge.mediaUrl(kind, id, options);
    },
  };
}
