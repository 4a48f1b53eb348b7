import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED_MODELS, shared } from '../unit/engine/models/shared-models';
import { ARTIFACTS, CHROMIUM, makePhoto, openBrowserStudio, type BrowserStudio, type RunningStudio } from './helpers';

// What the screen says while a job runs and how the photo is looked at, in a real Chromium
// against `studio serve`: a pretrained net shows its own phases (tiles, never training), time
// estimates come from what this machine measured, and the zoom counts the original's pixels.

describe.skipIf(!existsSync(CHROMIUM))('progress, estimates and zoom in the browser', () => {
  let root: string;
  let dataDir: string;
  let studio: RunningStudio;
  let env: BrowserStudio;
  let page: Page;

  function thumb(name: string) {
    return page.locator(`[data-testid=thumb][aria-label^="${name},"]`);
  }

  async function chooseMethod(id: string, scale: number): Promise<void> {
    await page.click(`[data-method="${id}"]`);
    await page.getByRole('radiogroup', { name: 'Scale' }).getByRole('radio', { name: `${scale}×`, exact: true }).click();
  }

  async function shot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.evaluate(() => document.querySelectorAll<HTMLButtonElement>('[data-testid=toast]:not([data-kind=error]) button[aria-label=Dismiss]').forEach((b) => b.click()));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  }

  const box = async (sel: string) => (await page.locator(sel).first().boundingBox())!;

  beforeAll(async () => {
    env = await openBrowserStudio('loupe-progress-');
    ({ root, dataDir, studio, page } = env);
    await page.goto(studio.url);
    const files = [await makePhoto(path.join(root, 'in', 'lakeside.jpg'), 360, 240, 'jpeg', 'dusk'), await makePhoto(path.join(root, 'in', 'cove.jpg'), 600, 160, 'jpeg', 'day')];
    await page.setInputFiles('[data-testid=file-input]', files);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=thumb]').length === 2, undefined, { timeout: 20_000 });
  }, 60_000);

  afterAll(() => env?.close());

  it('makes up no time estimate before this computer has run such a job', async () => {
    await thumb('lakeside.jpg').dblclick();
    await chooseMethod('bicubic', 4);
    await expect.poll(() => page.locator('[data-testid=time-estimate]').textContent()).toMatch(/first run measures/i);
  });

  it('keeps the zoom relative to the original across an enhance; 100 % is one original pixel per screen pixel', async () => {
    const zoom = page.locator('[data-testid=zoom-level]');
    await expect.poll(() => zoom.textContent()).toMatch(/^\d+%$/);
    const fitBefore = await zoom.textContent();

    await page.click('[data-testid=enhance-button]');
    const after = page.locator('[data-testid=after-image]');
    await expect.poll(() => after.evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0), { timeout: 30_000 }).toBe(1440);
    // The x4 result is shown and the zoom has not jumped to a quarter.
    expect(await zoom.textContent()).toBe(fitBefore);

    await page.getByRole('button', { name: '100%', exact: true }).click();
    expect(await zoom.textContent()).toBe('100%');
    const b100 = await box('[data-testid=after-image]');
    // devicePixelRatio 1: the 360 px photo is 360 screen px wide at 100 %, its x4 result too.
    expect(Math.round(b100.width)).toBe(360);
    expect(await box('[data-testid=before-image]')).toEqual(b100);
    await page.getByRole('button', { name: '200%', exact: true }).click();
    expect(Math.round((await box('[data-testid=after-image]')).width)).toBe(720);

    // The measured bicubic job now gives an estimate for the next one.
    await expect.poll(() => page.locator('[data-testid=time-estimate]').textContent(), { timeout: 10_000 }).toMatch(/(~\d+ (s|min)|under 5 s) on this computer/);
    const book = JSON.parse(await readFile(path.join(dataDir, 'speeds.json'), 'utf8')) as { records: Record<string, { runs: number }> };
    expect(book.records['bicubic|balanced|x4']).toMatchObject({ runs: 1 });
  });

  it('stops panning at the photo’s edges and keeps a photo smaller than the view centred', async () => {
    const stage = await box('[data-testid=stage]');
    const drag = async (dx: number, dy: number): Promise<void> => {
      await page.mouse.move(stage.x + stage.width / 2, stage.y + stage.height / 2);
      await page.mouse.down();
      await page.mouse.move(stage.x + stage.width / 2 + dx, stage.y + stage.height / 2 + dy, { steps: 6 });
      await page.mouse.up();
    };
    // 200 %: 720 x 480, smaller than the stage: dragging does not move it off the centre.
    await drag(600, 400);
    let img = await box('[data-testid=before-image]');
    expect(Math.abs(img.x + img.width / 2 - (stage.x + stage.width / 2))).toBeLessThanOrEqual(1);
    expect(Math.abs(img.y + img.height / 2 - (stage.y + stage.height / 2))).toBeLessThanOrEqual(1);

    // 800 %: far larger than the stage. Dragging far right and down stops with the photo's
    // left and top edges at the stage's; far the other way, with its right and bottom edges.
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await expect.poll(() => page.locator('[data-testid=zoom-level]').textContent()).toBe('800%');
    await drag(3000, 3000);
    img = await box('[data-testid=before-image]');
    expect(Math.abs(img.x - stage.x)).toBeLessThanOrEqual(1);
    expect(Math.abs(img.y - stage.y)).toBeLessThanOrEqual(1);
    await drag(-3000, -3000);
    await drag(-3000, -3000);
    img = await box('[data-testid=before-image]');
    expect(Math.abs(img.x + img.width - (stage.x + stage.width))).toBeLessThanOrEqual(1);
    expect(Math.abs(img.y + img.height - (stage.y + stage.height))).toBeLessThanOrEqual(1);
    // Back the other way moves the photo at once (no dead zone past the edge).
    await drag(100, 0);
    expect(Math.round((await box('[data-testid=before-image]')).x - img.x)).toBe(100);
    await page.keyboard.press('0');
  });

  it('Compare counts the original’s pixels too: 200 % is twice the original, and panning stops at the edges', async () => {
    await page.keyboard.press('c');
    const panes = page.locator('.pane');
    await expect.poll(() => panes.count(), { timeout: 10_000 }).toBe(2);
    await page.getByRole('button', { name: '200%', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid=compare-zoom]').textContent()).toBe('200%');
    const widths = await page.locator('.pane img').evaluateAll((imgs) => imgs.map((i) => Math.round(i.getBoundingClientRect().width)));
    expect(widths).toEqual([720, 720]);
    // Dragging far right stops with the photo's left edge at the pane's.
    const view = (await page.locator('.pane .view').first().boundingBox())!;
    await page.mouse.move(view.x + view.width / 2, view.y + view.height / 2);
    await page.mouse.down();
    await page.mouse.move(view.x + view.width / 2 + 2000, view.y + view.height / 2, { steps: 6 });
    await page.mouse.up();
    const img = (await page.locator('.pane img').first().boundingBox())!;
    if (720 > view.width) expect(Math.abs(img.x - view.x)).toBeLessThanOrEqual(1);
    else expect(Math.abs(img.x + img.width / 2 - (view.x + view.width / 2))).toBeLessThanOrEqual(1);
    await page.getByRole('button', { name: 'Fit', exact: true }).click();
    await shot('compare-zoom');
    await page.keyboard.press('e');
  });

  it.skipIf(!HAVE_SHARED_MODELS)('a pretrained net shows reading, enlarging tiles n of m with the time left, and saving — never training', { timeout: 240_000 }, async () => {
    await thumb('cove.jpg').click();
    await page.setInputFiles('[data-testid=model-file]', shared('realesr-compact-x4.pth'));
    const method = page.locator('[data-method="user:realesr-compact-x4"]');
    await expect.poll(() => method.count(), { timeout: 60_000 }).toBe(1);
    await chooseMethod('user:realesr-compact-x4', 4);
    await expect.poll(() => page.locator('[data-testid=time-estimate]').textContent()).toMatch(/first run measures/i);

    // Everything the job card, the live card and the thumbnail say while it runs.
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { seen: Set<string> }).seen = seen;
      const look = (): void => {
        for (const el of document.querySelectorAll('[data-testid=job-card]')) if (el.getAttribute('data-state') === 'running') seen.add(`card:${el.textContent?.replace(/\s+/g, ' ').trim()}`);
        for (const el of document.querySelectorAll('[data-testid=thumb]')) seen.add(`thumb:${el.getAttribute('data-status')}`);
        if (document.querySelector('[data-testid=job-card][data-state=running] [data-testid=loss-curve]')) seen.add('loss-curve');
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.click('[data-testid=enhance-button]');
    const live = page.locator('[data-testid=live-job]');
    await expect.poll(() => live.locator('[data-testid=job-phase]').textContent(), { timeout: 60_000 }).toMatch(/Enlarging · \d+ of \d+ tiles/);
    await expect.poll(() => live.textContent(), { timeout: 60_000 }).toMatch(/about .+ left/);
    await shot('pretrained-progress');
    await expect.poll(() => thumb('cove.jpg').getAttribute('data-status'), { timeout: 180_000 }).toBe('done');

    const seen = await page.evaluate(() => [...(window as unknown as { seen: Set<string> }).seen]);
    const cards = seen.filter((s) => s.startsWith('card:'));
    expect(cards.some((s) => /Enlarging · \d+ of \d+ tiles/.test(s))).toBe(true);
    expect(cards.some((s) => /Reading photo|Saving/.test(s))).toBe(true);
    for (const s of cards) expect(s).not.toMatch(/Learning|Step \d|Training/i);
    expect(seen).not.toContain('loss-curve');
    expect(seen).not.toContain('thumb:training');

    // Its time is now known: the quality preset it ran with shows an estimate.
    await expect.poll(() => page.locator('[data-testid=preset-balanced]').textContent(), { timeout: 10_000 }).toMatch(/~\d+ (s|min)|under 5 s/);
    await expect.poll(() => page.locator('[data-testid=time-estimate]').textContent()).toMatch(/on this computer/);

    // The next such job has a time left from its first moment, before it has a pace of its own
    // (reading the photo and the net): what the first one took on this computer.
    // A photo big enough that reading it and the net is seen on the card (a tiny one can finish
    // between two renders).
    await page.setInputFiles('[data-testid=file-input]', [await makePhoto(path.join(root, 'in', 'quay.jpg'), 640, 400, 'jpeg', 'ember')]);
    await thumb('quay.jpg').waitFor({ timeout: 20_000 });
    await page.evaluate(() => (window as unknown as { seen: Set<string> }).seen.clear());
    await thumb('quay.jpg').click();
    await chooseMethod('user:realesr-compact-x4', 4);
    await page.click('[data-testid=enhance-button]');
    await expect.poll(() => thumb('quay.jpg').getAttribute('data-status'), { timeout: 180_000 }).toBe('done');
    const again = (await page.evaluate(() => [...(window as unknown as { seen: Set<string> }).seen])).filter((s) => s.startsWith('card:'));
    expect(again.some((s) => /Reading photo….*about .+ left/.test(s))).toBe(true);
  });
});
