import { BrowserWindow, nativeImage, screen } from 'electron';
import type { DesktopStateStore } from './desktop-state';
import { restoreBounds } from './desktop-state';
import { secureWebPreferences } from './security';

// The studio window: secure preferences, remembered size and place, shown once painted.

export interface WindowOptions {
  url: string;
  preload: string;
  icon: string;
  state: DesktopStateStore;
  /** Tests and CI: never steal focus or flash a window on screen. */
  hidden?: boolean;
}

export function createStudioWindow(o: WindowOptions): BrowserWindow {
  const saved = o.state.get().window;
  const bounds = restoreBounds(
    saved.bounds,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 880,
    minHeight: 560,
    show: false,
    title: 'Loupe Studio',
    backgroundColor: '#16181d', // the theme's background: no white flash while loading
    icon: nativeImage.createFromPath(o.icon),
    autoHideMenuBar: false,
    webPreferences: secureWebPreferences(o.preload),
  });
  if (saved.maximized) win.maximize();
  if (saved.fullScreen) win.setFullScreen(true);

  const remember = () => {
    if (win.isDestroyed()) return;
    const maximized = win.isMaximized();
    const fullScreen = win.isFullScreen();
    // Keep the normal bounds while maximized, so un-maximizing next time restores them.
    const b = maximized || fullScreen ? win.getNormalBounds() : win.getBounds();
    o.state.update((s) => ({ ...s, window: { bounds: b, maximized, fullScreen } }));
  };
  for (const e of ['resize', 'move', 'maximize', 'unmaximize', 'enter-full-screen', 'leave-full-screen'] as const) {
    win.on(e as 'resize', remember);
  }
  win.on('close', remember);
  win.once('ready-to-show', () => {
    if (!o.hidden) win.show();
  });
  void win.loadURL(o.url);
  return win;
}
