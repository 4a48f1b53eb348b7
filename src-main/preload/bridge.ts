import { EVENT_CHANNEL, mediaUrlOf, type ResultApiOf, type StudioBridge } from '../contract/bridge';
import { channelOf, type ApiMap } from '../contract/define';
import type { Result } from '../contract/errors';

// The object the preload exposes, built from the contract's method names alone: a function per
// contract method, the event subscription, the media URL builder and the dropped-file path.
// Nothing of ipcRenderer itself leaves this file.

/** The ipcRenderer / webUtils calls the bridge needs (injected so a test can build it in Node). */
export interface PreloadDeps {
  invoke(channel: string, args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  getPathForFile(file: File): string;
}

/** Method names of studioApi and desktopApi (the bundle gets them from the maps at build time). */
export interface ContractMethods {
  studio: readonly string[];
  desktop: readonly string[];
}

function methodsOf<M extends ApiMap>(names: readonly string[], deps: PreloadDeps): ResultApiOf<M> {
  const out: Record<string, (...args: unknown[]) => Promise<Result<unknown>>> = {};
  for (const name of names) {
    const channel = channelOf(name);
    // A fresh array: only plain cloned data crosses, never an object the page still holds.
    out[name] = (...args) => deps.invoke(channel, [...args]) as Promise<Result<unknown>>;
  }
  return Object.freeze(out) as ResultApiOf<M>;
}

export function createBridge(deps: PreloadDeps, methods: ContractMethods): StudioBridge {
  return Object.freeze({
    api: methodsOf(methods.studio, deps),
    desktop: methodsOf(methods.desktop, deps),
    onEvent(listener) {
      // The renderer gets the payload only, never the IpcRendererEvent (it holds `sender`).
      const wrapped = (_event: unknown, payload: unknown) => listener(payload as Parameters<typeof listener>[0]);
      deps.on(EVENT_CHANNEL, wrapped);
      return () => deps.removeListener(EVENT_CHANNEL, wrapped);
    },
    mediaUrl: (kind, id, options) => mediaUrlOf(kind, id, options),
    pathForFile: (file) => deps.getPathForFile(file),
  } satisfies StudioBridge);
}
