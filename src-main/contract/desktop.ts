import { z } from 'zod';
import { ImageItem } from './api';
import type { MediaKind as MediaKindName } from './bridge';
import { method } from './define';
import { FilePath } from './paths';

// The desktop app's extra methods (native dialogs, the OS file manager, pasted bytes) and the
// menu events. Same rules as studioApi: zod tuples, channels from channelOf, results as
// Result<T>. Only the Electron front door implements this map; the bridge type is in bridge.ts.

export const MediaKind = z.enum(['original', 'preview', 'thumb', 'output'] as const satisfies readonly MediaKindName[]);
export type MediaKind = z.infer<typeof MediaKind>;
export type { MediaOptions, ResultApiOf, StudioBridge } from './bridge';
export { EVENT_CHANNEL, MEDIA_SCHEME, mediaUrlOf } from './bridge';

/** Menu items the renderer acts on (everything else is handled in the main process). */
export const MENU_COMMANDS = [
  'export',
  'settings',
  'toggle-compare',
  'zoom-in',
  'zoom-out',
  'zoom-fit',
  'zoom-actual',
  'show-library',
  'show-queue',
] as const;
export const MenuCommand = z.enum(MENU_COMMANDS);
export type MenuCommand = z.infer<typeof MenuCommand>;

export const DesktopEvent = z.object({ topic: z.literal('menu'), command: MenuCommand });
export type DesktopEvent = z.infer<typeof DesktopEvent>;

const none = z.tuple([]);
const filePath = FilePath;

export const ChooseFolderOptions = z.object({ title: z.string().max(200), defaultPath: filePath }).partial().strict();

export const desktopApi = {
  /** Native "Open" dialog; the chosen photos are added to the library. Empty when cancelled. */
  'desktop.openImages': method(none, z.array(ImageItem)),
  /** Pasted or in-memory images (no file behind them): stored in the library folder. */
  'desktop.importBytes': method(
    z.tuple([z.string().min(1).max(255), z.instanceof(Uint8Array).refine((b) => b.byteLength > 0, 'empty image')]),
    ImageItem,
  ),
  /** Native folder picker (output folder, watched folder); null when cancelled. */
  'desktop.chooseFolder': method(z.tuple([ChooseFolderOptions]), z.string().nullable()),
  /** Native "Save As" for the n-th output of a job; the file is copied there. Null when cancelled. */
  'desktop.saveOutputAs': method(z.tuple([z.string().min(1).max(200), z.number().int().min(0).max(1000)]), z.string().nullable()),
  /** Reveal a library original or a job output in Finder / Explorer / the file manager. */
  'desktop.showInFolder': method(z.tuple([filePath]), z.boolean()),
  'desktop.recentFiles': method(none, z.array(z.string())),
  'desktop.clearRecentFiles': method(none, z.boolean()),
};

export type DesktopApiMap = typeof desktopApi;
export type DesktopMethod = keyof DesktopApiMap;
