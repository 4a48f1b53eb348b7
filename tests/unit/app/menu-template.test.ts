import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { buildMenuTemplate, type MenuActions } from '../../../src-main/app/menu-template';
import { MENU_COMMANDS, type MenuCommand } from '../../../src-main/contract/desktop';

function actions(log: string[]): MenuActions {
  return {
    openImages: () => log.push('open'),
    openRecent: (f) => log.push(`recent:${f}`),
    clearRecent: () => log.push('clear'),
    command: (c: MenuCommand) => log.push(`cmd:${c}`),
    showOutputsFolder: () => log.push('outputs'),
    showDataFolder: () => log.push('data'),
    about: () => log.push('about'),
  };
}

function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? items(i.submenu) : [])]);
}

function click(item: MenuItemConstructorOptions | undefined): void {
  (item?.click as (() => void) | undefined)?.();
}

describe('native menu', () => {
  it.each(['linux', 'win32', 'darwin'] as const)('has File / Edit / View / Window / Help with accelerators on %s', (platform) => {
    const t = buildMenuTemplate({ platform, appName: 'Loupe Studio', recentFiles: [], devTools: false, actions: actions([]) });
    const top = t.map((i) => i.label ?? i.role);
    expect(top.slice(platform === 'darwin' ? 1 : 0)).toEqual(['File', 'Edit', 'View', 'Window', 'help']);
    const all = items(t);
    const byLabel = (l: string) => all.find((i) => i.label === l);
    expect(byLabel('Open Photos…')?.accelerator).toBe('CmdOrCtrl+O');
    expect(byLabel('Export…')?.accelerator).toBe('CmdOrCtrl+E');
    expect(all.filter((i) => i.role === 'copy' || i.role === 'paste' || i.role === 'undo')).toHaveLength(3);
    expect(all.some((i) => i.role === 'quit')).toBe(true);
    expect(all.some((i) => i.role === 'toggleDevTools')).toBe(false);
  });

  it("shows the page's own shortcuts without registering them, so keys still reach the page", () => {
    const all = items(buildMenuTemplate({ platform: 'linux', appName: 'L', recentFiles: [], devTools: true, actions: actions([]) }));
    const pageItems = all.filter((i) => i.registerAccelerator === false);
    expect(pageItems.map((i) => i.label)).toEqual(expect.arrayContaining(['Export…', 'Before / After', 'Zoom In', 'Zoom Out']));
    expect(all.some((i) => i.role === 'toggleDevTools')).toBe(true);
  });

  it('runs the right action for each item and covers every renderer command', () => {
    const log: string[] = [];
    const all = items(buildMenuTemplate({ platform: 'win32', appName: 'L', recentFiles: ['/p/b.jpg', '/p/a.jpg'], devTools: false, actions: actions(log) }));
    for (const i of all) click(i);
    expect(log).toEqual(expect.arrayContaining(['open', 'recent:/p/b.jpg', 'recent:/p/a.jpg', 'clear', 'outputs', 'data', 'about']));
    const commands = log.filter((l) => l.startsWith('cmd:')).map((l) => l.slice(4));
    expect(new Set(commands)).toEqual(new Set(MENU_COMMANDS));
  });

  it('shows a disabled placeholder when there are no recent photos', () => {
    const all = items(buildMenuTemplate({ platform: 'linux', appName: 'L', recentFiles: [], devTools: false, actions: actions([]) }));
    expect(all.find((i) => i.label === 'No Recent Photos')?.enabled).toBe(false);
  });
});
