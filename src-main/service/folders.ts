import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FolderListing, StudioApi } from '../contract/api';
import { StudioError } from '../contract/errors';
import { isWithinRoots, realPathOf } from '../base/paths';
import type { SettingsStore } from './settings';
import { picturesDir } from './settings';

// Choosing a folder in the browser: the server lists one level of folder names at a time. Only
// folder names (no files), no hidden folders, and only under the home folder, the data folder or
// a folder already allowed: symlinks are resolved before that check.

export function createFoldersApi(deps: { dataDir: string; settings: SettingsStore }): Pick<StudioApi, 'folders.list'> {
  return {
    'folders.list': async (dir) => {
      const home = os.homedir();
      const roots = [home, deps.dataDir, ...deps.settings.get().allowedFolders];
      const target = dir ?? home;
      if (!path.isAbsolute(target) || !isWithinRoots(target, roots)) {
        throw new StudioError('E_PATH_NOT_ALLOWED', `folders can be browsed in your home folder (${home}), the data folder and the allowed folders; '${target}' is in none of them`, { path: target });
      }
      const real = realPathOf(target);
      let entries;
      try {
        entries = await readdir(real, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new StudioError('E_FILE_NOT_FOUND', `the folder '${target}' does not exist`, { path: target });
        if (code === 'ENOTDIR') throw new StudioError('E_INVALID_ARGUMENT', `'${target}' is not a folder`, { path: target });
        throw new StudioError('E_PATH_NOT_ALLOWED', `the folder '${target}' cannot be read (no permission)`, { path: target });
      }
      const folders: FolderListing['folders'] = [];
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const full = path.join(real, e.name);
        const isDir = e.isDirectory() || (e.isSymbolicLink() && isWithinRoots(full, roots) && (await readdir(full).then(() => true, () => false)));
        if (isDir) folders.push({ name: e.name, path: full });
      }
      folders.sort((a, b) => a.name.localeCompare(b.name));
      const up = path.dirname(real);
      const places = [
        { name: 'Home', path: home },
        { name: 'Pictures', path: picturesDir() },
        ...deps.settings.get().allowedFolders.filter((f) => f !== picturesDir()).map((f) => ({ name: path.basename(f), path: f })),
      ];
      return { path: real, parent: up !== real && isWithinRoots(up, roots) ? up : null, folders, places };
    },
  };
}
