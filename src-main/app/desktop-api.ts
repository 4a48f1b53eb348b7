import { randomBytes } from 'node:crypto';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageItem, StudioApi } from '../contract/api';
import type { ApiOf } from '../contract/define';
import type { DesktopApiMap } from '../contract/desktop';
import { StudioError } from '../contract/errors';
import { isAllowedFile } from './media-protocol';

// The desktop-only methods, over injected adapters (Electron's dialog and shell in the app, plain
// functions in tests). Paths come from native dialogs the user answered, never from the page,
// except "Show in folder", which accepts only files the studio knows.

export interface DesktopDialogs {
  /** Photos picked in a native Open dialog; [] when cancelled. */
  openImages(): Promise<string[]>;
  chooseFolder(options: { title?: string; defaultPath?: string }): Promise<string | null>;
  /** A native Save dialog proposing `defaultPath`; null when cancelled. */
  saveAs(defaultPath: string): Promise<string | null>;
}

export interface RecentFiles {
  list(): string[];
  add(paths: readonly string[]): void;
  clear(): void;
}

export interface DesktopDeps {
  api: Pick<StudioApi, 'library.addPaths' | 'library.list' | 'jobs.get' | 'jobs.list'>;
  dialogs: DesktopDialogs;
  showItemInFolder(file: string): void;
  recent: RecentFiles;
  /** Studio folders whose files may be revealed (outputs, cache, library folder). */
  roots(): readonly string[];
  /** Stores pasted / in-memory image bytes in the library folder and adds them. */
  addBuffer(name: string, bytes: Uint8Array): Promise<ImageItem>;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export function createDesktopApi(deps: DesktopDeps): ApiOf<DesktopApiMap> {
  const { api } = deps;
  return {
    async 'desktop.openImages'() {
      const paths = await deps.dialogs.openImages();
      if (paths.length === 0) return [];
      const items = await api['library.addPaths'](paths);
      deps.recent.add(paths);
      return items;
    },

    async 'desktop.importBytes'(name, bytes) {
      // Size limit, image check and the atomic write are the library's (same as HTTP uploads).
      return deps.addBuffer(name, bytes);
    },

    async 'desktop.chooseFolder'(options) {
      return deps.dialogs.chooseFolder(options);
    },

    async 'desktop.saveOutputAs'(jobId, index) {
      const job = await api['jobs.get'](jobId);
      const source = job.outputs[index];
      if (!source) throw new StudioError('E_NOT_FOUND', `job ${jobId} has no output #${index}`, { jobId });
      if (!(await exists(source))) throw new StudioError('E_FILE_NOT_FOUND', `the output ${path.basename(source)} is gone from disk`);
      const target = await deps.dialogs.saveAs(source);
      if (!target) return null;
      const dest = path.resolve(target);
      if (dest === path.resolve(job.request.input)) {
        throw new StudioError('E_WOULD_OVERWRITE', `saving there would replace the original ${path.basename(dest)}`);
      }
      if (dest === path.resolve(source)) return dest;
      const tmp = `${dest}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await copyFile(source, tmp);
        await rename(tmp, dest);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      deps.recent.add([dest]);
      return dest;
    },

    async 'desktop.showInFolder'(file) {
      if (!path.isAbsolute(file)) throw new StudioError('E_PATH_NOT_ALLOWED', 'only absolute paths can be shown');
      const [items, jobs] = await Promise.all([api['library.list'](), api['jobs.list']()]);
      const known = [...items.map((i) => i.path), ...jobs.flatMap((j) => j.outputs)];
      if (!(await exists(file))) throw new StudioError('E_FILE_NOT_FOUND', `${path.basename(file)} is not on disk any more`);
      if (!(await isAllowedFile(file, known, deps.roots()))) {
        throw new StudioError('E_PATH_NOT_ALLOWED', `${path.basename(file)} is neither in the library nor an output of the studio`);
      }
      deps.showItemInFolder(file);
      return true;
    },

    async 'desktop.recentFiles'() {
      return deps.recent.list();
    },

    async 'desktop.clearRecentFiles'() {
      deps.recent.clear();
      return true;
    },
  };
}
