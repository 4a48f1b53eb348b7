import { mkdir, readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, makePhoto, openBrowserStudio, type BrowserStudio, type RunningStudio } from './helpers';

// Delivering a result from the browser studio: the export dialog renders the shown result's
// file (no second run of the method, no new result), names files after the photo, writes only
// what the chosen preset describes, and records what really made the result.

const canRun = existsSync(CHROMIUM);

describe.skipIf(!canRun)('exporting a result in the browser', () => {
  let deliver: string;
  let env: BrowserStudio;
  let studio: RunningStudio;
  let page: Page;

  async function call<T>(method: string, ...args: unknown[]): Promise<T> {
    const res = await fetch(new URL(`api/call/${method}`, studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args) });
    return ((await res.json()) as { value: T }).value;
  }

  async function enhance(name: string, method: string, scale: number): Promise<void> {
    await page.locator(`[data-testid=thumb][aria-label^="${name},"]`).dblclick();
    await page.click(`[data-method="${method}"]`);
    await page.getByRole('radiogroup', { name: 'Scale' }).getByRole('radio', { name: `${scale}×`, exact: true }).click();
    await page.click('[data-testid=enhance-button]');
    await expect.poll(() => page.locator(`[data-testid=thumb][aria-label^="${name},"]`).getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
  }

  async function exportWith(o: { preset?: RegExp; format?: string; dest: string }): Promise<void> {
    await page.keyboard.press('Control+e');
    const dialog = page.locator('[data-testid=export-dialog]');
    await expect.poll(() => dialog.count()).toBe(1);
    if (o.preset) await dialog.getByRole('checkbox', { name: o.preset }).check();
    if (o.format) await page.getByRole('radiogroup', { name: 'Format' }).getByRole('radio', { name: o.format, exact: true }).click();
    await page.getByLabel('Destination folder').fill(o.dest);
    await page.click('[data-testid=export-confirm]');
    await expect.poll(() => dialog.count(), { timeout: 30_000 }).toBe(0); // closes once delivered
  }

  function exported(name: string) {
    return page.locator('[data-testid=toast][data-kind=success]', { hasText: `Exported ${name}` });
  }

  beforeAll(async () => {
    let charlie = '';
    let harbour = '';
    env = await openBrowserStudio('loupe-export-', async (dir) => {
      deliver = path.join(dir, 'deliver');
      await mkdir(deliver);
      charlie = await makePhoto(path.join(dir, 'in', 'charlie.jpg'), 550, 366, 'jpeg', 'day');
      // A 16-bit PNG original: its result, and what is exported from it, stay 16-bit.
      harbour = path.join(dir, 'in', 'harbour.png');
      await sharp(await makePhoto(path.join(dir, 'in', 'harbour8.png'), 200, 130, 'png', 'fog')).toColourspace('rgb16').png().toFile(harbour);
      return { args: ['--allow-dir', deliver] };
    });
    ({ studio, page } = env);
    await page.goto(studio.url);
    await page.setInputFiles('[data-testid=file-input]', [charlie, harbour]);
    await page.locator('[data-testid=thumb]').nth(1).waitFor({ timeout: 20_000 });
  });

  afterAll(() => env?.close());

  it('delivers the shown result with a preset: no new job, only the preset’s file, named after the photo, as its text says', async () => {
    await enhance('charlie.jpg', 'lanczos', 2);
    const jobsBefore = (await call<unknown[]>('jobs.list')).length;
    const summary = (await call<{ id: string; outputs: string[] }[]>('presets.list')).find((p) => p.id === 'client-web-jpeg-2048');
    expect(summary?.outputs).toEqual(['web: JPEG q85, long edge at most 2048 px, sRGB']);

    const dest = path.join(deliver, 'web');
    await exportWith({ preset: /Client web JPEG 2048/, dest });
    await expect.poll(() => exported('charlie.jpg').count(), { timeout: 30_000 }).toBe(1);

    // Rendered from the result file: the method did not run again, and no result was added.
    expect((await call<unknown[]>('jobs.list')).length).toBe(jobsBefore);
    // Only the preset's deliverable (no plain output beside it), by the photo's own name.
    expect(await readdir(dest)).toEqual(['charlie_web.jpg']);
    const meta = await sharp(path.join(dest, 'charlie_web.jpg')).metadata();
    // "at most 2048 px": a 550 px photo at x2 is delivered at 1100 px, as the preset says.
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 1100, 732]);
    expect(meta.density).toBe(72);
    // The toast names the file written.
    expect(await exported('charlie.jpg').textContent()).toContain(path.join(dest, 'charlie_web.jpg'));
  });

  it('keeps a 16-bit result 16-bit, names the archive like the result, suffixes a second export with -2, and records the real method', async () => {
    await enhance('harbour.png', 'bicubic', 2);
    const jobsBefore = (await call<unknown[]>('jobs.list')).length;
    const dest = path.join(deliver, 'archive');
    for (let i = 1; i <= 2; i++) {
      await exportWith({ preset: /Archive PNG 16-bit/, dest });
      await expect.poll(async () => (await readdir(path.join(dest, 'archive')).catch(() => [])).length, { timeout: 30_000 }).toBe(3 * i);
      expect(await exported('harbour.png').count()).toBeGreaterThan(0); // notices leave after a few seconds
    }
    expect((await call<unknown[]>('jobs.list')).length).toBe(jobsBefore);
    const files = (await readdir(path.join(dest, 'archive'))).sort();
    expect(files).toEqual([
      'harbour_bicubic_x2_archive-2.png',
      'harbour_bicubic_x2_archive-2.xmp',
      'harbour_bicubic_x2_archive.png',
      'harbour_bicubic_x2_archive.xmp',
      'harbour_bicubic_x2_provenance-2.json',
      'harbour_bicubic_x2_provenance.json',
    ]);
    const png = await sharp(path.join(dest, 'archive', 'harbour_bicubic_x2_archive.png')).metadata();
    expect([png.width, png.height, png.depth]).toEqual([400, 260, 'ushort']);
    const record = JSON.parse(await readFile(path.join(dest, 'archive', 'harbour_bicubic_x2_provenance.json'), 'utf8')) as {
      processing: { method: string; settings: Record<string, unknown> };
      aiEnhanced: boolean;
      outputs: { bitDepth: number }[];
    };
    expect(record.processing.method).toBe('bicubic');
    expect(record.processing.settings).toEqual({}); // no quality preset for an interpolation
    expect(record.aiEnhanced).toBe(false);
    expect(record.outputs[0].bitDepth).toBe(16);

    // A plain export in another format: the result's pixels at its depth, named like the result.
    await exportWith({ format: 'TIFF', dest: path.join(deliver, 'plain') });
    await expect.poll(() => exported('harbour.png').filter({ hasText: 'harbour_bicubic_x2.tif' }).count(), { timeout: 30_000 }).toBe(1);
    expect(await readdir(path.join(deliver, 'plain'))).toEqual(['harbour_bicubic_x2.tif']);
    const tif = await sharp(path.join(deliver, 'plain', 'harbour_bicubic_x2.tif')).metadata();
    expect([tif.width, tif.height, tif.depth]).toEqual([400, 260, 'ushort']);
    expect((await call<unknown[]>('jobs.list')).length).toBe(jobsBefore);
  });
});
