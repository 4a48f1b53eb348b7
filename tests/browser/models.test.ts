import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED_MODELS, shared } from '../unit/engine/models/shared-models';
import { ARTIFACTS, CHROMIUM, makePhoto, openBrowserStudio, type BrowserStudio, type RunningStudio } from './helpers';

// Models people bring, the detail slider and the hallucination map, in a real Chromium against
// `studio serve`: the model file goes through the file picker, is staged and imported, runs on a
// photo with detail below 100 %, and the map is shown over the result.

describe.skipIf(!existsSync(CHROMIUM) || !HAVE_SHARED_MODELS)('models in the browser studio', () => {
  let root: string;
  let studio: RunningStudio;
  let env: BrowserStudio;
  let page: Page;

  beforeAll(async () => {
    env = await openBrowserStudio('loupe-models-');
    ({ root, studio, page } = env);
  });
  afterAll(() => env?.close());

  it('adds a model with "Add model…", enhances with detail 60 % and shows the map', { timeout: 180_000 }, async () => {
    await page.goto(studio.url);
    await expect.poll(() => page.getByRole('button', { name: 'Bring in your photos' }).count()).toBe(1);
    await page.setInputFiles('[data-testid=file-input]', [await makePhoto(path.join(root, 'in', 'cove.jpg'), 96, 64, 'jpeg', 'day')]);
    await expect.poll(() => page.locator('[data-testid=thumb]').count(), { timeout: 20_000 }).toBe(1);
    await page.locator('[data-testid=thumb]').first().dblclick();

    await page.setInputFiles('[data-testid=model-file]', shared('realesr-compact-x4.pth'));
    const method = page.locator('[data-method="user:realesr-compact-x4"]');
    await expect.poll(() => method.count(), { timeout: 60_000 }).toBe(1);
    expect(await method.getAttribute('aria-checked')).toBe('true');
    expect(await page.getByText('Imported models').count()).toBe(1);

    await page.getByRole('radiogroup', { name: 'Scale' }).getByRole('radio', { name: '2×', exact: true }).click();
    await page.locator('[data-testid=detail-slider]').fill('60');
    await page.locator('[data-testid=map-toggle]').check();
    await page.click('[data-testid=enhance-button]');
    const after = page.locator('[data-testid=after-image]');
    await expect.poll(() => after.evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0), { timeout: 90_000 }).toBe(192);
    await page.click('[data-testid=map-button]');
    const map = page.locator('[data-testid=map-image]');
    await expect.poll(() => map.evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0), { timeout: 20_000 }).toBe(96);
    await page.screenshot({ path: path.join(ARTIFACTS, 'viewer-map.png') });

    // The job asked for what the panel showed.
    const jobs = (await (await fetch(new URL('api/call/jobs.list', studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' })).json()) as {
      value: { request: { method: string; detail?: number; map?: boolean }; outputs: string[] }[];
    };
    expect(jobs.value[0].request).toMatchObject({ method: 'user:realesr-compact-x4', detail: 60, map: true });
    expect(jobs.value[0].outputs.some((f) => f.endsWith('.map.png'))).toBe(true);

    await page.click('[data-testid=remove-model]');
    await expect.poll(() => method.count(), { timeout: 20_000 }).toBe(0);
  });
});
