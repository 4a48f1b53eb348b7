import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../contract/desktop';

// The native menu as data (File / Edit / View / Window / Help). Shortcuts the page already
// handles itself (space, +/-, Ctrl-E) are shown but not registered, so the key still reaches the
// page and nothing fires twice; clicking the item sends the same command.

export interface MenuActions {
  openImages(): void;
  openRecent(file: string): void;
  clearRecent(): void;
  /** Forwarded to the renderer as a DesktopEvent. */
  command(command: MenuCommand): void;
  showOutputsFolder(): void;
  showDataFolder(): void;
  about(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  recentFiles: readonly string[];
  /** Reload and developer tools only in development builds. */
  devTools: boolean;
  actions: MenuActions;
}

function pageCommand(label: string, accelerator: string | undefined, command: MenuCommand, actions: MenuActions): MenuItemConstructorOptions {
  return {
    label,
    ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
    click: () => actions.command(command),
  };
}

export function buildMenuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  const a = o.actions;
  const recent: MenuItemConstructorOptions[] = o.recentFiles.length
    ? [
        ...o.recentFiles.map((f) => ({ label: path.basename(f), sublabel: f, click: () => a.openRecent(f) })),
        { type: 'separator' as const },
        { label: 'Clear Recent', click: () => a.clearRecent() },
      ]
    : [{ label: 'No Recent Photos', enabled: false }];

  const settings = pageCommand(mac ? 'Settings…' : 'Settings', 'CmdOrCtrl+,', 'settings', a);
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: o.appName,
      submenu: [
        { label: `About ${o.appName}`, click: () => a.about() },
        { type: 'separator' },
        settings,
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    });
  }
  template.push({
    label: 'File',
    submenu: [
      { label: 'Open Photos…', accelerator: 'CmdOrCtrl+O', click: () => a.openImages() },
      { label: 'Open Recent', submenu: recent },
      { type: 'separator' },
      pageCommand('Export…', 'CmdOrCtrl+E', 'export', a),
      { label: 'Show Outputs Folder', accelerator: 'CmdOrCtrl+Shift+O', click: () => a.showOutputsFolder() },
      ...(mac ? [] : [{ type: 'separator' as const }, settings]),
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', accelerator: 'Ctrl+Q' },
    ],
  });
  template.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  });
  template.push({
    label: 'View',
    submenu: [
      pageCommand('Before / After', 'Space', 'toggle-compare', a),
      { type: 'separator' },
      pageCommand('Zoom In', 'Plus', 'zoom-in', a),
      pageCommand('Zoom Out', '-', 'zoom-out', a),
      pageCommand('Fit to Window', 'CmdOrCtrl+0', 'zoom-fit', a),
      pageCommand('Actual Size (100%)', 'CmdOrCtrl+1', 'zoom-actual', a),
      { type: 'separator' },
      pageCommand('Library', 'CmdOrCtrl+Shift+L', 'show-library', a),
      pageCommand('Queue', 'CmdOrCtrl+Shift+J', 'show-queue', a),
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(o.devTools ? [{ type: 'separator' as const }, { role: 'reload' as const }, { role: 'toggleDevTools' as const }] : []),
    ],
  });
  template.push({
    label: 'Window',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, { type: 'separator' }, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  });
  template.push({
    role: 'help',
    submenu: [
      { label: 'Show Data Folder', click: () => a.showDataFolder() },
      ...(mac ? [] : [{ type: 'separator' as const }, { label: `About ${o.appName}`, click: () => a.about() }]),
    ],
  });
  return template;
}
