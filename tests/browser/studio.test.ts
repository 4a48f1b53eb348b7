import { mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, makePhoto, openBrowserStudio, type BrowserStudio, type RunningStudio } from './helpers';

// The whole studio in a real Chromium against `studio serve` on a temp data dir: import, enhance
// (bicubic and a short ZSSR), live progress and loss curve, the before/after slider, cancel,
// export to disk, and a refused upload. Screenshots of the main screens go to tests/artifacts.

const canRun = existsSync(CHROMIUM);

describe.skipIf(!canRun)('studio in the browser', () => {
  let root: string;
  let dataDir: string;
  let studio: RunningStudio;
  let env: BrowserStudio;
  let page: Page;
  let hasZssr = false;
  const photos: Record<string, string> = {};
  const pageErrors: string[] = [];

  async function shot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    // Passing notices ("Imported 5 photos") would cover the screen; dismiss them like a user.
    await page.evaluate(() => document.querySelectorAll<HTMLButtonElement>('[data-testid=toast]:not([data-kind=error]) button[aria-label=Dismiss]').forEach((b) => b.click()));
    await page.mouse.move(0, 0);
    // Screens are judged by their images: wait until every visible one has its pixels.
    await expect
      .poll(() => page.locator('img:visible').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete)), { timeout: 10_000 })
      .toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  }

  function thumb(name: string) {
    return page.locator(`[data-testid=thumb][aria-label^="${name},"]`);
  }

  async function chooseMethod(id: string, scale: number): Promise<void> {
    await page.click(`[data-method="${id}"]`);
    await page.getByRole('radiogroup', { name: 'Scale' }).getByRole('radio', { name: `${scale}×`, exact: true }).click();
  }

  /** Cancel on the live card; a job that has run for more than a few seconds asks first. */
  async function cancelLive(live: ReturnType<Page['locator']>): Promise<void> {
    await live.getByRole('button', { name: 'Cancel job' }).click();
    const stop = live.getByRole('button', { name: 'Stop job' });
    if (await stop.isVisible().catch(() => false)) await stop.click();
  }

  beforeAll(async () => {
    env = await openBrowserStudio('loupe-browser-', async (dir) => {
      photos.lakeside = await makePhoto(path.join(dir, 'in', 'lakeside.jpg'), 360, 240, 'jpeg', 'dusk');
      photos.harbour = await makePhoto(path.join(dir, 'in', 'harbour.png'), 330, 220, 'png', 'day');
      photos.pier = await makePhoto(path.join(dir, 'in', 'pier.jpg'), 72, 48, 'jpeg', 'ember');
      photos.fjord = await makePhoto(path.join(dir, 'in', 'fjord.jpg'), 300, 200, 'jpeg', 'fog');
      photos.nightfall = await makePhoto(path.join(dir, 'in', 'nightfall.jpg'), 300, 200, 'jpeg', 'night');
    });
    ({ root, dataDir, studio, page } = env);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
    });
    const models = (await (await fetch(new URL('api/call/models.list', studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' })).json()) as {
      value: { id: string }[];
    };
    hasZssr = models.value.some((m) => m.id === 'zssr');
  });

  afterAll(() => env?.close());

  it('opens the studio and imports photos with the file picker', async () => {
    await page.goto(studio.url);
    await expect.poll(() => page.getByRole('button', { name: 'Bring in your photos' }).count()).toBe(1);
    await page.setInputFiles('[data-testid=file-input]', [photos.lakeside, photos.harbour, photos.fjord, photos.nightfall, photos.pier]);
    await expect.poll(() => page.locator('[data-testid=thumb]').count(), { timeout: 20_000 }).toBe(5);
    const statuses = await page.locator('[data-testid=thumb]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses).toEqual(['new', 'new', 'new', 'new', 'new']);
    // Thumbnails really are images made by the server.
    await expect
      .poll(() => page.locator('[data-testid=thumb] img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length), { timeout: 15_000 })
      .toBe(5);
    await page.locator('[data-testid=thumb]').nth(1).click();
    await page.waitForTimeout(300);
    await shot('library');
  });

  it('enhances with bicubic, shows before/after, and the split slider moves both sides together', async () => {
    await thumb('lakeside.jpg').dblclick();
    await chooseMethod('bicubic', 4);
    await page.click('[data-testid=enhance-button]');
    const after = page.locator('[data-testid=after-image]');
    await expect.poll(() => after.evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0), { timeout: 30_000 }).toBe(1440);
    await expect.poll(() => thumb('lakeside.jpg').getAttribute('data-status')).toBe('done');

    const handle = page.locator('[data-testid=split-handle]');
    const stage = page.locator('[data-testid=stage]');
    expect(await handle.getAttribute('aria-valuenow')).toBe('50');
    const clipBefore = await after.evaluate((i) => (i as HTMLElement).style.clipPath);
    const hb = (await handle.boundingBox())!;
    const sb = (await stage.boundingBox())!;
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    await page.mouse.move(sb.x + sb.width * 0.3, hb.y + hb.height / 2, { steps: 8 });
    await page.mouse.up();
    const now = Number(await handle.getAttribute('aria-valuenow'));
    expect(now).toBeGreaterThanOrEqual(28);
    expect(now).toBeLessThanOrEqual(32);
    const clipAfter = await after.evaluate((i) => (i as HTMLElement).style.clipPath);
    const px = (c: string) => Number(/inset\(0(?:px)? 0(?:px)? 0(?:px)? ([\d.]+)px\)/.exec(c)?.[1] ?? NaN);
    expect(px(clipAfter)).toBeLessThan(px(clipBefore));
    await shot('viewer-split');

    // The loupe follows the pointer and magnifies the side under it.
    await page.keyboard.press('l');
    await page.mouse.move(sb.x + sb.width * 0.7, sb.y + sb.height * 0.5);
    const loupe = page.locator('[data-testid=loupe]');
    await expect.poll(() => loupe.count()).toBe(1);
    expect(await loupe.evaluate((el) => (el as HTMLElement).style.backgroundImage)).toContain('/media/output/');
    expect(await loupe.textContent()).toContain('after');
    await page.mouse.move(sb.x + sb.width * 0.2, sb.y + sb.height * 0.5);
    expect(await loupe.textContent()).toContain('before');
    await page.keyboard.press('l');
    expect(await loupe.count()).toBe(0);

    // Zoom to 200 % and pan: both layers keep exactly the same box (locked zoom and position).
    await page.getByRole('button', { name: '200%' }).click();
    await page.mouse.move(sb.x + sb.width * 0.6, sb.y + sb.height * 0.6);
    await page.mouse.down();
    await page.mouse.move(sb.x + sb.width * 0.5, sb.y + sb.height * 0.4, { steps: 5 });
    await page.mouse.up();
    const [b1, b2] = await Promise.all([page.locator('[data-testid=before-image]').boundingBox(), after.boundingBox()]);
    expect(b1).not.toBeNull();
    expect(b2).toEqual(b1);
    expect(Number(await stage.getAttribute('data-zoom'))).toBe(200);

    // Keyboard: space shows the original and comes back; +/- change the zoom.
    await stage.click({ position: { x: 5, y: 5 } }).catch(() => undefined);
    await page.keyboard.press('Space');
    await expect.poll(() => page.getByRole('radio', { name: 'Before', exact: true }).getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('Space');
    await expect.poll(() => page.getByRole('radio', { name: 'Split', exact: true }).getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('-');
    expect(Number(await stage.getAttribute('data-zoom'))).toBe(100);
    await page.keyboard.press('+');
    expect(Number(await stage.getAttribute('data-zoom'))).toBe(200);
    await page.keyboard.press('0');
  });

  it('trains ZSSR with live progress and a live loss curve', async (ctx) => {
    if (!hasZssr) ctx.skip();
    await thumb('pier.jpg').click();
    await page.keyboard.press('e');
    await chooseMethod('zssr', 4);
    await page.getByRole('radio', { name: 'Draft', exact: true }).click();
    await page.locator('details.advanced summary').click();
    await page.getByLabel('num_epochs', { exact: true }).fill('120');
    await page.getByLabel('crop_size', { exact: true }).fill('32');
    await page.getByLabel('crop_size', { exact: true }).press('Tab');
    await page.click('[data-testid=enhance-button]');

    const live = page.locator('[data-testid=live-job]');
    await expect.poll(() => live.count(), { timeout: 20_000 }).toBe(1);
    const line = live.locator('[data-testid=loss-line]');
    await expect.poll(() => line.getAttribute('data-points').then(Number).catch(() => 0), { timeout: 90_000 }).toBeGreaterThanOrEqual(4);
    await expect.poll(() => live.locator('[data-testid=job-phase]').textContent(), { timeout: 10_000 }).toMatch(/Step \d+ of \d+/);
    // The curve grows while training runs (points come from 'train' events over SSE).
    const first = Number(await line.getAttribute('data-points'));
    await expect.poll(() => line.getAttribute('data-points').then(Number).catch(() => Infinity), { timeout: 60_000 }).toBeGreaterThan(first);
    const loss = await live.locator('[data-testid=loss-value]').textContent();
    expect(Number(loss)).toBeGreaterThan(0);
    await expect.poll(() => line.getAttribute('data-points').then(Number).catch(() => Infinity), { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
    await shot('training');

    const after = page.locator('[data-testid=after-image]');
    await expect.poll(() => after.evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0), { timeout: 120_000 }).toBe(288);
    await expect.poll(() => thumb('pier.jpg').getAttribute('data-status')).toBe('done');
    await shot('viewer-zssr');
  }, 240_000);

  it('compares methods side by side on the same crop and exports a proof sheet', async () => {
    await thumb('pier.jpg').click();
    await page.keyboard.press('c');
    const also = page.locator('.also');
    for (const name of ['Bicubic', 'Nearest neighbour']) {
      await also.getByRole('button', { name, exact: true }).click();
    }
    const panes = page.locator('.pane');
    await expect.poll(() => panes.count(), { timeout: 30_000 }).toBe(hasZssr ? 4 : 3);
    // Every pane shows the same region: equal image boxes in pane coordinates.
    await expect
      .poll(() => page.locator('.pane img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length), { timeout: 15_000 })
      .toBe(hasZssr ? 4 : 3);
    const boxes = await page.locator('.pane').evaluateAll((ps) =>
      ps.map((p) => {
        const v = p.querySelector('.view')!.getBoundingClientRect();
        const i = p.querySelector('img')!.getBoundingClientRect();
        return [Math.round(i.left - v.left), Math.round(i.top - v.top), Math.round(i.width), Math.round(i.height)];
      }),
    );
    for (const b of boxes) expect(b).toEqual(boxes[0]);
    await shot('compare');
    const download = page.waitForEvent('download');
    await page.click('[data-testid=proof-sheet]');
    const file = path.join(ARTIFACTS, 'proof-sheet.jpg');
    await (await download).saveAs(file);
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([3508, 2480]);
    expect(meta.density).toBe(300); // A4 at 300 dpi, not 72
    await expect.poll(() => page.locator('[data-testid=toast]', { hasText: 'Proof sheet saved' }).textContent()).toContain('pier-proof.jpg in your browser’s downloads folder');
    await page.keyboard.press('e');
  }, 60_000);

  it('cancels a running job', async (ctx) => {
    if (!hasZssr) ctx.skip();
    await thumb('pier.jpg').click();
    await chooseMethod('zssr', 2);
    await page.getByLabel('num_epochs', { exact: true }).fill('20000');
    await page.getByLabel('num_epochs', { exact: true }).press('Tab');
    await page.click('[data-testid=enhance-button]');
    const live = page.locator('[data-testid=live-job]');
    await expect.poll(() => live.locator('[data-testid=job-card]').getAttribute('data-state').catch(() => ''), { timeout: 30_000 }).toBe('running');
    const jobId = await live.locator('[data-testid=job-card]').getAttribute('data-job-id');
    await expect.poll(() => live.locator('[data-testid=loss-line]').count(), { timeout: 60_000 }).toBe(1);
    await cancelLive(live);
    const card = page.locator(`aside [data-testid=job-card][data-job-id="${jobId}"]`);
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => live.count()).toBe(0);
    expect(await card.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    // The server agrees.
    const res = await fetch(new URL('api/call/jobs.get', studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([jobId]) });
    expect(((await res.json()) as { value: { state: string } }).value.state).toBe('cancelled');
  }, 120_000);

  it('Blind ZSSR: the toggle asks for it, the job shows its blur estimate with a time left, and cancels', async (ctx) => {
    if (!hasZssr) ctx.skip();
    await thumb('fjord.jpg').click();
    await chooseMethod('zssr', 3);
    const toggle = page.locator('[data-testid=blind-toggle]');
    expect(await toggle.isDisabled()).toBe(true); // x3: no kernel for it
    await chooseMethod('zssr', 2);
    await toggle.check();
    await page.click('[data-testid=enhance-button]');
    const live = page.locator('[data-testid=live-job]');
    const card = live.locator('[data-testid=job-card]');
    await expect.poll(() => card.getAttribute('aria-label').catch(() => ''), { timeout: 30_000 }).toMatch(/^Blind ZSSR ×2/);
    await expect.poll(() => live.locator('[data-testid=job-phase]').textContent(), { timeout: 60_000 }).toMatch(/Estimating blur · \d+ of 1500/);
    await expect.poll(() => live.textContent(), { timeout: 30_000 }).toMatch(/about .+ left/);
    await shot('blind-estimating');
    const jobId = await card.getAttribute('data-job-id');
    const res = await fetch(new URL('api/call/jobs.get', studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([jobId]) });
    expect(((await res.json()) as { value: { request: { zssr?: { blind?: boolean } } } }).value.request.zssr?.blind).toBe(true);
    await cancelLive(live);
    await expect.poll(() => page.locator(`aside [data-testid=job-card][data-job-id="${jobId}"]`).getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    await toggle.uncheck();
  }, 180_000);

  it('exports a result to a folder and the file is on disk', async () => {
    await thumb('lakeside.jpg').click();
    await page.keyboard.press('Control+e');
    const dialog = page.locator('[data-testid=export-dialog]');
    await expect.poll(() => dialog.count()).toBe(1);
    await page.getByRole('radiogroup', { name: 'Format' }).getByRole('radio', { name: 'PNG', exact: true }).click();
    const dest = path.join(dataDir, 'exports', 'client-a');
    await page.getByLabel('Destination folder').fill(dest);
    await shot('export-dialog');
    await page.click('[data-testid=export-confirm]');
    await expect.poll(() => page.locator('[data-testid=toast][data-kind=success]', { hasText: 'Exported' }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const files = await readdir(dest);
    expect(files.length).toBe(1);
    const meta = await sharp(path.join(dest, files[0])).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([1440, 960]);
  });

  it('imports by drag-and-drop and by paste', async () => {
    await page.keyboard.press('g');
    const count = await page.locator('[data-testid=thumb]').count();
    const png = (await sharp(await makePhoto(path.join(root, 'in', 'dropped.png'), 150, 100, 'png', 'night')).toBuffer()).toString('base64');
    const overlayShown = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      const main = document.querySelector('main')!;
      main.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      main.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      await new Promise((r) => requestAnimationFrame(r));
      const shown = document.body.innerText.includes('Drop to import');
      main.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      return shown;
    }, png);
    expect(overlayShown).toBe(true);
    await expect.poll(() => thumb('dropped.png').count(), { timeout: 15_000 }).toBe(1);
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, png);
    await expect.poll(() => page.locator('[data-testid=thumb]').count(), { timeout: 15_000 }).toBe(count + 2);
    expect(await page.locator('[data-testid=thumb][aria-label^="pasted-"]').count()).toBe(1);
  });

  it('saves settings', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click({ timeout: 5000 });
    // The model cache's use is shown (from cache.stats).
    await expect.poll(() => page.locator('.usage').textContent(), { timeout: 10_000 }).toMatch(/\d+ models? · .+ of .+/);
    await shot('settings');
    await page.getByLabel('Cache size limit in megabytes').fill('512', { timeout: 5000 });
    await page.getByRole('button', { name: 'Save settings' }).click({ timeout: 5000 });
    await expect.poll(() => page.locator('[data-testid=toast]', { hasText: 'Settings saved' }).count(), { timeout: 10_000 }).toBe(1);
    const res = await fetch(new URL('api/call/settings.get', studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(((await res.json()) as { value: { cacheMaxMB: number } }).value.cacheMaxMB).toBe(512);
    await page.keyboard.press('q');
    await shot('queue');
  });

  it('watches a folder and delivers what lands in it', async () => {
    const inbox = path.join(dataDir, 'inbox');
    const delivered = path.join(dataDir, 'delivered');
    await makePhoto(path.join(inbox, 'arrival.jpg'), 90, 60, 'jpeg', 'fog');
    await page.keyboard.press('q');
    await page.getByRole('tab', { name: 'Watched folders' }).click();
    await page.getByRole('button', { name: 'Watch a folder' }).click();
    await page.getByLabel('Folder to watch', { exact: true }).fill(inbox);
    await page.getByLabel('Output folder').fill(delivered);
    await page.getByLabel('Watch method').selectOption('lanczos');
    await page.getByRole('button', { name: 'Start watching' }).click();
    const card = page.locator('[data-testid=watch]');
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => card.locator('.counts').textContent(), { timeout: 30_000 }).toMatch(/1 done/);
    const out = await readdir(delivered);
    expect(out.length).toBe(1);
    expect((await sharp(path.join(delivered, out[0])).metadata()).width).toBe(180);
    await shot('watches');
    await card.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('paused');
    await card.getByRole('button', { name: /Stop watching/ }).click();
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(0);
  }, 60_000);

  it('shows a plain error for a file that is not an image, and keeps working', async () => {
    await page.keyboard.press('g');
    const count = await page.locator('[data-testid=thumb]').count();
    await page.setInputFiles('[data-testid=file-input]', [{ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are my notes, not a photo') }]);
    const toast = page.locator('[data-testid=toast][data-kind=error]', { hasText: 'notes.jpg' });
    await expect.poll(() => toast.count(), { timeout: 15_000 }).toBe(1);
    expect(['E_UNSUPPORTED_FORMAT', 'E_CORRUPT_IMAGE']).toContain(await toast.getAttribute('data-code'));
    expect(await toast.isVisible()).toBe(true);
    expect(await page.locator('[data-testid=thumb]').count()).toBe(count);
    // Still working: a real photo imports after the refusal.
    const again = await makePhoto(path.join(root, 'in', 'after-error.jpg'), 120, 80, 'jpeg', 'day');
    await page.setInputFiles('[data-testid=file-input]', [again]);
    await expect.poll(() => page.locator('[data-testid=thumb]').count(), { timeout: 15_000 }).toBe(count + 1);
    await thumb('lakeside.jpg').click();
    await shot('library-status');
    expect(pageErrors).toEqual([]);
  });

  it('asks before removing photos from the library', async () => {
    await page.keyboard.press('g');
    const count = await page.locator('[data-testid=thumb]').count();
    await thumb('after-error.jpg').click();
    await page.getByRole('button', { name: 'Remove…' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'from the library?' }).count(), { timeout: 5000 }).toBe(1);
    await shot('library-remove');
    await page.getByRole('button', { name: 'Keep', exact: true }).click();
    expect(await page.locator('[data-testid=thumb]').count()).toBe(count);
    await page.getByRole('button', { name: 'Remove…' }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid=thumb]').count(), { timeout: 10_000 }).toBe(count - 1);
    const res = await fetch(new URL('api/call/library.list', studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    const names = ((await res.json()) as { value: { name: string }[] }).value.map((i) => i.name);
    expect(names).not.toContain('after-error.jpg');
    expect(names).toContain('lakeside.jpg');
  });
});
