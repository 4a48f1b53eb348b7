import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopStateStore, MAX_RECENT, pushRecent, restoreBounds } from '../../../src-main/app/desktop-state';
import { tempDir } from './helpers';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('studio-state-');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('DesktopStateStore', () => {
  it('starts from defaults, remembers window and recent files across instances', async () => {
    const d = path.join(dir, 'a');
    const s1 = new DesktopStateStore(d, 10_000);
    expect(await s1.load()).toBeUndefined();
    expect(s1.get().recentFiles).toEqual([]);
    s1.update((s) => ({ ...s, window: { bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: true, fullScreen: false }, recentFiles: ['/p/a.jpg'] }));
    await s1.flush();
    const s2 = new DesktopStateStore(d);
    expect(await s2.load()).toBeUndefined();
    expect(s2.get().window).toEqual({ bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: true, fullScreen: false });
    expect(s2.get().recentFiles).toEqual(['/p/a.jpg']);
    // Atomic writes leave no temp files behind.
    expect((await fs.readdir(d)).sort()).toEqual(['desktop.json']);
  });

  it('refuses invalid state instead of writing it', () => {
    const s = new DesktopStateStore(path.join(dir, 'b'));
    expect(() => s.update((x) => ({ ...x, window: { ...x.window, bounds: { x: 0, y: 0, width: 5, height: 5 } } }))).toThrow();
    expect(s.get().window.bounds).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['a wrong schema', JSON.stringify({ version: 1, window: { maximized: 'yes' }, recentFiles: [] })],
    ['unknown keys', JSON.stringify({ version: 1, window: { maximized: false, fullScreen: false }, recentFiles: [], evil: true })],
  ])('falls back to defaults on %s and says so', async (_what, text) => {
    const d = path.join(dir, `bad-${_what.replace(/\W/g, '')}`);
    await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(d, 'desktop.json'), text);
    const s = new DesktopStateStore(d);
    expect(await s.load()).toMatch(/desktop\.json/);
    expect(s.get()).toEqual({ version: 1, window: { maximized: false, fullScreen: false }, recentFiles: [] });
  });
});

describe('pushRecent', () => {
  it('puts new files first, drops duplicates and keeps at most MAX_RECENT', () => {
    expect(pushRecent(['/a', '/b'], ['/c', '/a'])).toEqual(['/c', '/a', '/b']);
    const many = Array.from({ length: 30 }, (_, i) => `/f${i}`);
    expect(pushRecent([], many)).toHaveLength(MAX_RECENT);
  });
});

describe('restoreBounds', () => {
  const displays = [
    { x: 0, y: 0, width: 1920, height: 1050 },
    { x: 1920, y: 0, width: 1280, height: 1000 },
  ];
  it('keeps saved bounds that are still on a display (including the second one)', () => {
    const b = { x: 2000, y: 100, width: 1000, height: 700 };
    expect(restoreBounds(b, displays)).toEqual(b);
  });
  it('centres a default window when the saved display is gone', () => {
    const r = restoreBounds({ x: 4000, y: 100, width: 1000, height: 700 }, displays);
    expect(r).toEqual({ x: 240, y: 75, width: 1440, height: 900 });
  });
  it('never makes a window larger than a small screen', () => {
    const r = restoreBounds(undefined, [{ x: 0, y: 0, width: 1280, height: 720 }]);
    expect(r).toEqual({ x: 0, y: 0, width: 1280, height: 720 });
  });
});
