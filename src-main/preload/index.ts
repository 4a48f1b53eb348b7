import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge, type ContractMethods } from './bridge';

// Sandboxed preload: bundled into one CommonJS file by scripts/build-main.mjs, because a
// sandboxed preload can require only 'electron' and a few polyfilled Node modules. The method
// names are read from studioApi / desktopApi at build time (so zod stays out of the preload).
declare const __STUDIO_METHODS__: ContractMethods;

contextBridge.exposeInMainWorld(
  'studio',
  createBridge(
    {
      invoke: (channel, args) => ipcRenderer.invoke(channel, args),
      on: (channel, listener) => ipcRenderer.on(channel, listener),
      removeListener: (channel, listener) => ipcRenderer.removeListener(channel, listener),
      getPathForFile: (file) => webUtils.getPathForFile(file),
    },
    __STUDIO_METHODS__,
  ),
);
