import { mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, makePhoto, openBrowserStudio, type BrowserStudio, type RunningStudio } from './helpers';

// A photographer's first minutes in the browser studio (real Chromium, `studio serve` with its
// own home folder): delivering to a folder of their choice, cancelling without losing work by
// accident, the scale beside the Enhance button, notices that leave, a watch that says what it is.

const canRun = existsSync(CHROMIUM);

describe.skipIf(!canRun)('a photographer’s first minutes', () => {
  let root: string;
  let home: string;
  let dataDir: string;
  let env: BrowserStudio;
  let studio: RunningStudio;
  let page: Page;
  let hasZssr = false;
  const photos: Record<string, string> = {};

  async function call<T>(method: string, ...args: unknown[]): Promise<{ status: number; body: { value?: T; error?: { code: string; message: string } } }> {
    const res = await fetch(new URL(`api/call/${method}`, studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args) });
    return { status: res.status, body: (await res.json()) as { value?: T; error?: { code: string; message: string } } };
  }

  async function shot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  }

  function thumb(name: string) {
    return page.locator(`[data-testid=thumb][aria-label^="${name},"]`);
  }

  async function openExport(): Promise<ReturnType<Page['locator']>> {
    await page.keyboard.press('Control+e');
    const dialog = page.locator('[data-testid=export-dialog]');
    await expect.poll(() => dialog.count()).toBe(1);
    return dialog;
  }

  beforeAll(async () => {
    env = await openBrowserStudio('loupe-first-', async (dir) => {
      home = path.join(dir, 'home');
      await mkdir(path.join(home, 'Documents', 'Clients'), { recursive: true });
      await mkdir(path.join(home, '.secret'), { recursive: true });
      photos.lakeside = await makePhoto(path.join(dir, 'in', 'lakeside.jpg'), 360, 240, 'jpeg', 'dusk');
      photos.pier = await makePhoto(path.join(dir, 'in', 'pier.jpg'), 72, 48, 'jpeg', 'ember');
      return { env: { HOME: home } };
    });
    ({ root, dataDir, studio, page } = env);
    const models = await call<{ id: string }[]>('models.list');
    hasZssr = (models.body.value ?? []).some((m) => m.id === 'zssr');
    await page.goto(studio.url);
    await page.setInputFiles('[data-testid=file-input]', [photos.lakeside, photos.pier]);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=thumb]').length === 2, undefined, { timeout: 20_000 });
  }, 60_000);

  afterAll(() => env?.close());

  it('keeps the scale and the output size beside the Enhance button, above the fold', async () => {
    await thumb('lakeside.jpg').click();
    await page.click('[data-method="bicubic"]');
    const scale = page.getByRole('radiogroup', { name: 'Scale' });
    await scale.getByRole('radio', { name: '3×', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid=output-size]').textContent()).toMatch(/1080 × 720, 0\.8 MP/);
    const button = await page.locator('[data-testid=enhance-button]').boundingBox();
    const radios = await scale.boundingBox();
    expect(button && radios).toBeTruthy();
    // Both on screen at 1440×900, the scale right above the button.
    expect(radios!.y + radios!.height).toBeLessThanOrEqual(900);
    expect(button!.y + button!.height).toBeLessThanOrEqual(900);
    expect(button!.y - (radios!.y + radios!.height)).toBeLessThan(40);
    await scale.getByRole('radio', { name: '2×', exact: true }).click();
    await page.click('[data-testid=enhance-button]');
    await expect.poll(() => page.locator('aside [data-testid=job-card][data-state=done]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
  }, 90_000);

  it('delivers to Pictures (made on demand), refuses a folder that is not allowed in words that agree, and allows it from the dialog', async () => {
    await thumb('lakeside.jpg').click();
    // Pictures is allowed from the start, even before it exists.
    const settings = await call<{ allowedFolders: string[] }>('settings.get');
    expect(settings.body.value?.allowedFolders).toEqual([path.join(home, 'Pictures')]);
    let dialog = await openExport();
    await page.getByRole('radiogroup', { name: 'Format' }).getByRole('radio', { name: 'PNG', exact: true }).click();
    const pictures = path.join(home, 'Pictures', 'Anna wedding');
    await page.getByLabel('Destination folder').fill(pictures);
    expect(await page.locator('[data-testid=folder-not-allowed]').count()).toBe(0);
    await page.click('[data-testid=export-confirm]');
    await expect.poll(() => readdir(pictures).catch(() => []), { timeout: 30_000 }).toHaveLength(1);
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(0); // closes once delivered

    // A client folder outside: the dialog says so before exporting, and the refusal agrees.
    const client = path.join(root, 'deliver', 'client-b');
    await mkdir(client, { recursive: true });
    dialog = await openExport();
    expect(await page.getByLabel('Destination folder').inputValue()).toBe(pictures); // remembered
    await page.getByLabel('Destination folder').fill(client);
    await page.getByRole('radiogroup', { name: 'Format' }).getByRole('radio', { name: 'PNG', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid=folder-not-allowed]').textContent()).toMatch(/Settings → Allowed folders/);
    await page.click('[data-testid=export-confirm]');
    const toast = page.locator('[data-testid=toast][data-code=E_PATH_NOT_ALLOWED]');
    await expect.poll(() => toast.count(), { timeout: 10_000 }).toBe(1);
    expect(await toast.textContent()).toMatch(/Settings → Allowed folders/);
    expect(await toast.textContent()).not.toMatch(/only the data folder/);
    // The notice sits clear of the dialog's buttons.
    const t = (await toast.boundingBox())!;
    for (const b of await dialog.locator('xpath=ancestor::*[@role="dialog"]').locator('footer button').all()) {
      const r = (await b.boundingBox())!;
      const overlap = t.x < r.x + r.width && r.x < t.x + t.width && t.y < r.y + r.height && r.y < t.y + t.height;
      expect(overlap).toBe(false);
    }
    await shot('export-not-allowed');
    await page.locator('[data-testid=folder-not-allowed]').getByRole('button', { name: 'Allow this folder' }).click();
    await expect.poll(() => page.locator('[data-testid=folder-not-allowed]').count(), { timeout: 10_000 }).toBe(0);
    await page.click('[data-testid=export-confirm]');
    await expect.poll(() => readdir(client), { timeout: 30_000 }).toHaveLength(1);
    expect((await sharp(path.join(client, (await readdir(client))[0])).metadata()).format).toBe('png');
    // The destination is remembered once the export succeeded (the file may land first).
    const current = async () => (await call<{ allowedFolders: string[]; lastExportDirs: Record<string, string> }>('settings.get')).body.value;
    await expect.poll(async () => (await current())?.lastExportDirs.plain, { timeout: 10_000 }).toBe(client);
    expect((await current())?.allowedFolders).toContain(client);
  }, 120_000);

  it('lists the allowed folders in Settings and browses the home folder by the server’s listing', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const card = page.locator('[data-testid=allowed-folders]');
    await expect.poll(() => card.textContent()).toContain(path.join(home, 'Pictures'));
    await card.getByRole('button', { name: 'Browse…' }).click();
    const browserBox = card.locator('[data-testid=folder-browser]');
    await expect.poll(() => browserBox.locator('.here').textContent()).toBe(home);
    // Folders only, hidden ones left out.
    const names = await browserBox.locator('li button.row').allTextContents();
    expect(names.map((n) => n.trim())).toEqual(expect.arrayContaining(['Documents', 'Pictures']));
    expect(names.join(' ')).not.toContain('.secret');
    await browserBox.getByRole('button', { name: 'Documents' }).click();
    await browserBox.getByRole('button', { name: 'Clients' }).click();
    await expect.poll(() => browserBox.locator('.here').textContent()).toBe(path.join(home, 'Documents', 'Clients'));
    await shot('settings-allowed-folders');
    await browserBox.getByRole('button', { name: 'Use this folder' }).click();
    await card.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => card.locator('li .mono').allTextContents()).toContain(path.join(home, 'Documents', 'Clients'));

    // The listing stays inside the home, data and allowed folders, and refuses what is not a folder to allow.
    expect((await call('folders.list', '/etc')).body.error?.code).toBe('E_PATH_NOT_ALLOWED');
    expect((await call('folders.list', path.join(home, '..'))).body.error?.code).toBe('E_PATH_NOT_ALLOWED');
    expect((await call('settings.update', { allowedFolders: ['/'] })).body.error?.code).toBe('E_INVALID_ARGUMENT');
    expect((await call('settings.update', { allowedFolders: [path.join(root, 'nowhere')] })).body.error?.code).toBe('E_FILE_NOT_FOUND');
    expect((await call('settings.update', { allowedFolders: ['relative/folder'] })).body.error?.code).toBe('E_INVALID_ARGUMENT');
  }, 60_000);

  it('lets errors leave the screen and keeps them in the notifications list', async () => {
    await page.keyboard.press('g');
    await page.setInputFiles('[data-testid=file-input]', [{ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all') }]);
    const toast = page.locator('[data-testid=toast][data-kind=error]', { hasText: 'notes.jpg' });
    await expect.poll(() => toast.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => toast.count(), { timeout: 20_000, interval: 1000 }).toBe(0);
    const bell = page.locator('[data-testid=notifications-button]');
    expect(await bell.textContent()).toMatch(/\d/);
    await bell.click();
    const list = page.locator('[data-testid=notifications]');
    await expect.poll(() => list.textContent()).toMatch(/notes\.jpg/);
    await shot('notifications');
    await bell.click();
  }, 60_000);

  it('offers real folders to watch, creates a missing one, and never calls a waiting watch a success', async () => {
    await page.keyboard.press('q');
    await page.getByRole('tab', { name: 'Watched folders' }).click();
    await page.getByRole('button', { name: 'Watch a folder' }).click();
    const inbox = path.join(dataDir, 'inbox');
    expect(await page.getByLabel('Folder to watch', { exact: true }).inputValue()).toBe(inbox);
    expect(await page.getByLabel('Output folder').inputValue()).toBe(path.join(dataDir, 'delivered'));
    expect(existsSync(inbox)).toBe(false);
    await page.getByLabel('Watch method').selectOption('lanczos');
    await page.getByRole('button', { name: 'Start watching' }).click();
    await expect.poll(() => page.locator('[data-testid=toast][data-kind=success]', { hasText: 'Watching inbox' }).count(), { timeout: 10_000 }).toBe(1);
    expect(existsSync(inbox)).toBe(true);
    const card = page.locator('[data-testid=watch]');
    await expect.poll(() => card.first().getAttribute('data-state'), { timeout: 10_000 }).toBe('active');

    // Without "create", a missing folder is a watch that waits, and the notice says so.
    await page.getByRole('button', { name: 'Watch a folder' }).click();
    const later = path.join(dataDir, 'later');
    await page.getByLabel('Folder to watch', { exact: true }).fill(later);
    await page.getByLabel('Create the folder to watch if it does not exist').uncheck();
    await page.getByRole('button', { name: 'Start watching' }).click();
    await expect.poll(() => page.locator('[data-testid=toast]', { hasText: 'Waiting for later' }).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('[data-testid=toast][data-kind=success]', { hasText: 'Watching later' }).count()).toBe(0);
    await shot('watch-waiting');
  }, 60_000);

  it('hides a running job without stopping it, and asks before cancelling work already done', async (ctx) => {
    if (!hasZssr) ctx.skip();
    await page.keyboard.press('g');
    await thumb('pier.jpg').click();
    await page.click('[data-method="zssr"]');
    await page.getByRole('radiogroup', { name: 'Scale' }).getByRole('radio', { name: '2×', exact: true }).click();
    await page.locator('details.advanced summary').click();
    await page.getByLabel('num_epochs', { exact: true }).fill('20000');
    await page.getByLabel('num_epochs', { exact: true }).press('Tab');
    await page.click('[data-testid=enhance-button]');
    const live = page.locator('[data-testid=live-job]');
    const card = live.locator('[data-testid=job-card]');
    await expect.poll(() => card.getAttribute('data-state').catch(() => ''), { timeout: 30_000 }).toBe('running');
    const jobId = await card.getAttribute('data-job-id');
    // Hide is not cancel: the card goes, the job runs on and can be shown again.
    await live.getByRole('button', { name: 'Hide progress' }).click();
    await expect.poll(() => live.count()).toBe(0);
    expect((await call<{ state: string }>('jobs.get', jobId)).body.value?.state).toBe('running');
    await page.click('[data-testid=show-live-job]');
    await expect.poll(() => live.count()).toBe(1);
    // After a few seconds of work, Cancel asks; "Keep running" keeps it running.
    await page.waitForTimeout(6000);
    // The loss curve: a smoothed trend over the faint raw points, which wander more than it does.
    const wander = (pts: string | null): number => {
      const ys = (pts ?? '').trim().split(' ').map((p) => Number(p.split(',')[1]));
      return ys.slice(1).reduce((sum, v, i) => sum + Math.abs(v - ys[i]), 0);
    };
    await expect.poll(() => live.locator('[data-testid=loss-line]').getAttribute('data-points').then(Number), { timeout: 30_000 }).toBeGreaterThan(20);
    const raw = wander(await live.locator('[data-testid=loss-raw]').getAttribute('points'));
    const trend = wander(await live.locator('[data-testid=loss-line]').getAttribute('points'));
    expect(raw).toBeGreaterThan(0);
    expect(trend).toBeLessThan(raw / 2);
    await live.getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(() => live.locator('[data-testid=cancel-confirm]').textContent()).toMatch(/of work will be lost/);
    await shot('cancel-confirm');
    await live.getByRole('button', { name: 'Keep running' }).click();
    expect((await call<{ state: string }>('jobs.get', jobId)).body.value?.state).toBe('running');
    await live.getByRole('button', { name: 'Cancel job' }).click();
    await live.getByRole('button', { name: 'Stop job' }).click();
    await expect.poll(async () => (await call<{ state: string }>('jobs.get', jobId)).body.value?.state, { timeout: 30_000 }).toBe('cancelled');
  }, 120_000);
});
