// The Electron main process: one secure window over the same StudioService as the CLI and the
// server, the engine in a utilityProcess, IPC generated from the contract maps.
import { app, dialog, ipcMain, Menu, Notification, protocol, session, shell, utilityProcess, type BrowserWindow } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { studioApi, type StudioApi } from '../contract/api';
import { EVENT_CHANNEL, MEDIA_SCHEME } from '../contract/bridge';
import { desktopApi, type DesktopEvent, type MenuCommand } from '../contract/desktop';
import { toErrorPayload } from '../contract/errors';
import { forwardEvents } from '../ipc/events';
import { createIpcHandlers } from '../ipc/handlers';
import { registerIpcHandlers } from '../ipc/register';
import { IMAGE_EXTENSIONS } from '../base/image-types';
import { createStudioService, type StudioService } from '../service';
import { createAppProtocolHandler } from './app-protocol';
import { BatchTracker, describeBatch } from './batch-tracker';
import { createDesktopApi } from './desktop-api';
import { DesktopStateStore, pushRecent } from './desktop-state';
import { createMediaHandler } from './media-protocol';
import { buildMenuTemplate } from './menu-template';
import { nativeDialogs } from './native-dialogs';
import { APP_ORIGIN, APP_SCHEME, hardenContents, hardenSession } from './security';
import { UtilityProcessWorkerHost, type ForkUtility } from './utility-worker-host';
import { createStudioWindow } from './window';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main (also inside app.asar)
const files = {
  renderer: path.join(here, '..', 'renderer'),
  preload: path.join(here, '..', 'preload', 'preload.cjs'),
  worker: path.join(here, 'worker.js'),
  icon: path.join(here, '..', '..', 'resources', 'icons', 'icon.png'),
};

// Before 'ready': our two schemes behave like https (secure, standard URLs, fetch, CORS).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
]);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

/** Photos passed on the command line or by the OS ("Open with Loupe Studio"). */
function photosIn(argv: readonly string[], cwd: string): string[] {
  return argv
    .slice(1)
    .filter((a) => !a.startsWith('-') && IMAGE_EXTENSIONS.has(path.extname(a).toLowerCase()))
    .map((a) => path.resolve(cwd, a));
}

// STUDIO_DATA_DIR / --data-dir keep everything, Chromium's profile included, in one folder.
const dataDirArg = argValue('--data-dir') ?? process.env.STUDIO_DATA_DIR;
if (dataDirArg) app.setPath('userData', path.resolve(dataDirArg));

const devRendererUrl = !app.isPackaged ? process.env.STUDIO_RENDERER_URL : undefined;
const appOrigins = [APP_ORIGIN, ...(devRendererUrl ? [new URL(devRendererUrl).origin] : [])];

let win: BrowserWindow | undefined;
/** library.addPaths that also records recent files; set once the service is up. */
let addPhotos: ((paths: string[]) => Promise<unknown>) | undefined;
const pendingPhotos: string[] = [];

function log(message: string): void {
  console.error(`loupe-studio: ${message}`);
}

async function openPhotos(paths: readonly string[]): Promise<void> {
  if (!paths.length) return;
  if (!addPhotos) {
    pendingPhotos.push(...paths);
    return;
  }
  try {
    await addPhotos([...paths]);
  } catch (err) {
    const p = toErrorPayload(err);
    dialog.showErrorBox('Could not open the photos', `${p.message} (${p.code})`);
  }
}

function focusWindow(): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  const state = new DesktopStateStore(dataDir);
  const stateProblem = await state.load();
  if (stateProblem) log(stateProblem);

  const fork: ForkUtility = (modulePath, args, options) => utilityProcess.fork(modulePath, args, options);
  let svc: StudioService;
  try {
    svc = await createStudioService({
      dataDir,
      desktop: true,
      version: { version: app.getVersion() },
      workerHost: () => new UtilityProcessWorkerHost(fork, { entry: files.worker }),
      onWarning: log,
    });
  } catch (err) {
    const p = toErrorPayload(err);
    dialog.showErrorBox(
      'Loupe Studio could not start',
      p.code === 'E_LOCKED'
        ? `Another Loupe Studio (the app, \`studio serve\` or a batch) is using ${dataDir}. Close it and try again.`
        : `${p.message} (${p.code})`,
    );
    app.exit(1);
    return;
  }
  svc.workers.onLifecycle((e) => {
    // The window stays up; the job is already failed with the reason, the next job respawns.
    if (e.type === 'crash') log(`engine process crashed (${e.reason})${e.jobId ? ` during job ${e.jobId}` : ''}; it restarts with the next job`);
  });

  hardenSession(session.defaultSession, appOrigins);
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  const roots = () => svc.roots();
  protocol.handle(APP_SCHEME, createAppProtocolHandler(files.renderer));
  protocol.handle(MEDIA_SCHEME, createMediaHandler({ media: svc.media }));

  // Recent files: what the user opened through the app (dialog, drop, Open With...).
  const recent = {
    list: () => state.get().recentFiles,
    add(paths: readonly string[]) {
      state.update((s) => ({ ...s, recentFiles: pushRecent(s.recentFiles, paths) }));
      for (const p of paths) app.addRecentDocument(p);
      rebuildMenu();
    },
    clear() {
      state.update((s) => ({ ...s, recentFiles: [] }));
      app.clearRecentDocuments();
      rebuildMenu();
    },
  };
  const api: StudioApi = {
    ...svc,
    'library.addPaths': async (paths) => {
      const items = await svc['library.addPaths'](paths);
      recent.add(items.map((i) => i.path).slice(0, 12));
      return items;
    },
  };
  addPhotos = (paths) => api['library.addPaths'](paths);
  const desktop = createDesktopApi({
    api,
    dialogs: nativeDialogs(() => win, () => svc.settingsStore.get().outputsDir),
    showItemInFolder: (f) => shell.showItemInFolder(f),
    recent,
    roots,
    addBuffer: (name, bytes) => svc.library.addBuffer(name, bytes),
  });
  const policy = { origins: appOrigins };
  registerIpcHandlers(ipcMain, createIpcHandlers(studioApi, api, policy));
  registerIpcHandlers(ipcMain, createIpcHandlers(desktopApi, desktop, policy));

  const sendMenu = (command: MenuCommand) => {
    const e: DesktopEvent = { topic: 'menu', command };
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
  };
  function rebuildMenu(): void {
    const template = buildMenuTemplate({
      platform: process.platform,
      appName: 'Loupe Studio',
      recentFiles: state.get().recentFiles,
      devTools: !app.isPackaged,
      actions: {
        openImages: () => void desktop['desktop.openImages']().catch((err) => dialog.showErrorBox('Could not open the photos', toErrorPayload(err).message)),
        openRecent: (f) => void openPhotos([f]),
        clearRecent: () => recent.clear(),
        command: sendMenu,
        showOutputsFolder: () => void shell.openPath(svc.settingsStore.get().outputsDir),
        showDataFolder: () => void shell.openPath(svc.dataDir),
        about: () => app.showAboutPanel(),
      },
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }
  app.setAboutPanelOptions({ applicationName: 'Loupe Studio', applicationVersion: app.getVersion(), iconPath: files.icon });
  rebuildMenu();

  // One OS notification per finished batch, not one per photo.
  const batches = new BatchTracker();
  svc.events.subscribe((event) => {
    const done = batches.push(event);
    if (!done || !Notification.isSupported()) return;
    if (win && win.isFocused() && done.done + done.failed + done.cancelled < 2) return; // the user saw it happen
    const { title, body } = describeBatch(done);
    const n = new Notification({ title, body, icon: files.icon, silent: false });
    const first = done.outputs[0];
    n.on('click', () => {
      focusWindow();
      if (first) shell.showItemInFolder(first);
    });
    n.show();
  });
  forwardEvents((l) => svc.events.subscribe(l), () => win?.webContents);

  const createWindow = () => {
    win = createStudioWindow({
      url: devRendererUrl ?? `${APP_ORIGIN}/index.html`,
      preload: files.preload,
      icon: files.icon,
      state,
      hidden: process.env.STUDIO_HIDDEN_WINDOW === '1',
    });
    win.on('closed', () => (win = undefined));
    // A renderer crash must not end the session: the core keeps running; reload the page.
    win.webContents.on('render-process-gone', (_e, details) => {
      log(`window renderer gone (${details.reason}); reloading`);
      if (details.reason !== 'clean-exit' && win && !win.isDestroyed()) win.webContents.reload();
    });
  };
  createWindow();
  app.on('activate', () => {
    if (!win) createWindow();
  });

  await openPhotos([...pendingPhotos.splice(0), ...photosIn(process.argv, process.cwd())]);

  let quitting = false;
  app.on('before-quit', (e) => {
    if (quitting) return;
    e.preventDefault();
    quitting = true;
    // Jobs still running are journaled as interrupted and resume on the next start.
    void Promise.allSettled([state.flush(), svc.dispose()]).finally(() => app.exit(0));
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_e, argv, cwd) => {
    focusWindow();
    void openPhotos(photosIn(argv, cwd));
  });
  // macOS "Open With" / dock drops, possibly before the window exists.
  app.on('open-file', (e, file) => {
    e.preventDefault();
    void openPhotos([file]);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.whenReady().then(start, (err: unknown) => {
    log(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    app.exit(1);
  });
}
