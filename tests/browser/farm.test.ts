import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer, startWorker, stopProcess, workerReady } from '../integration/farm/helpers';
import { ARTIFACTS, launchChromium, makePhoto, startStudio, type RunningStudio } from './helpers';

// The browser studio as a farm's coordinator: a job runs on a `studio worker`, the job card names
// that machine and the Workers tab lists it.
describe('the studio on a farm (browser)', () => {
  let root: string;
  let redis: RedisServer;
  let studio: RunningStudio;
  let worker: ReturnType<typeof startWorker>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'studio-farm-ui-'));
    await mkdir(path.join(root, 'redis'));
    redis = new RedisServer(path.join(root, 'redis'), await freePort());
    await redis.start();
    studio = await startStudio(path.join(root, 'data'), ['--queue', redis.url, '--allow-dir', root]);
    worker = startWorker(['--queue', redis.url, '--name', 'render-01', '--shared-dir', path.join(root, 'shared')], { STUDIO_DATA_DIR: path.join(root, 'worker-data') });
    await workerReady(worker);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await studio?.stop();
    if (worker) await stopProcess(worker);
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('shows which machine ran a job, and the Workers list', async () => {
    const photo = await makePhoto(path.join(root, 'in', 'farm-lake.png'), 120, 80, 'png');
    const call = async (method: string, args: unknown[]) =>
      (await (await fetch(new URL(`api/call/${method}`, studio.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args) })).json()) as { value: { id: string; state: string; worker?: string } };
    const job = (await call('jobs.enqueue', [{ input: photo, method: 'bicubic', scale: 2, output: { dir: path.join(root, 'out') } }])).value;
    await expect.poll(async () => (await call('jobs.get', [job.id])).value, { timeout: 30_000 }).toMatchObject({ state: 'done', worker: 'render-01' });

    await page.goto(studio.url);
    await page.keyboard.press('q');
    await expect.poll(() => page.locator('[data-testid=job-worker]').allTextContents(), { timeout: 15_000 }).toEqual(['on render-01']);
    await page.getByRole('tab', { name: 'Workers' }).click();
    await expect.poll(() => page.locator('[data-testid=workers] td').first().textContent(), { timeout: 15_000 }).toBe('render-01');
    await page.screenshot({ path: path.join(ARTIFACTS, 'farm-workers.png') });
  }, 90_000);
});
