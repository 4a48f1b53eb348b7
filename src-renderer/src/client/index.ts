import { createHttpClient } from './http';
import type { StudioClient } from './types';

export type { StudioClient, MediaKind, MediaOptions } from './types';

// electron.ts (written for the desktop shell) exports `createElectronClient(): StudioClient`
// built on the preload's `window.studio`. Looked up with a glob so the browser build works
// with or without it.
const electronModules = import.meta.glob<{ createElectronClient: () => StudioClient }>('./electron.ts');

/** The Electron client when the preload bridge exists, else HTTP + SSE to `studio serve`. */
export async function createClient(): Promise<StudioClient> {
  const load = electronModules['./electron.ts'];
  if ('studio' in window && load) {
    const mod = await load();
    return mod.createElectronClient();
  }
  return createHttpClient();
}
