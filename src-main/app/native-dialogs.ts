import { dialog, type BrowserWindow } from 'electron';
import path from 'node:path';
import { IMAGE_EXTENSIONS } from '../base/image-types';
import type { DesktopDialogs } from './desktop-api';

// Electron's native dialogs, attached to the studio window (sheets on macOS).

const imageExtensions = [...IMAGE_EXTENSIONS].map((e) => e.slice(1));

export function nativeDialogs(window: () => BrowserWindow | undefined, defaultDir: () => string): DesktopDialogs {
  const parent = () => {
    const w = window();
    return w && !w.isDestroyed() ? w : undefined;
  };
  return {
    async openImages() {
      const options: Electron.OpenDialogOptions = {
        title: 'Open Photos',
        properties: ['openFile', 'multiSelections'],
        filters: [
          { name: 'Photos', extensions: imageExtensions },
          { name: 'All Files', extensions: ['*'] },
        ],
      };
      const w = parent();
      const r = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return r.canceled ? [] : r.filePaths;
    },
    async chooseFolder(o) {
      const options: Electron.OpenDialogOptions = {
        title: o.title ?? 'Choose Folder',
        defaultPath: o.defaultPath ?? defaultDir(),
        properties: ['openDirectory', 'createDirectory'],
      };
      const w = parent();
      const r = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    async saveAs(source) {
      const ext = path.extname(source).slice(1).toLowerCase();
      const options: Electron.SaveDialogOptions = {
        title: 'Save Enhanced Photo',
        defaultPath: path.join(defaultDir(), path.basename(source)),
        filters: ext ? [{ name: ext.toUpperCase(), extensions: [ext] }] : [],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const w = parent();
      const r = w ? await dialog.showSaveDialog(w, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
  };
}
