import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, startStudio } from './helpers';

const dir = await mkdtemp(path.join(os.tmpdir(), 'loupe-shot-'));
const studio = await startStudio(path.join(dir, 'data'));
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => console.log('console:', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  page.on('requestfinished', async (r) => console.log('req', r.method(), r.url(), (await r.response())?.status()));
  page.on('requestfailed', (r) => console.log('failed', r.url(), r.failure()?.errorText));
  await page.goto(studio.url);
  await page.waitForTimeout(1500);
  await page.setInputFiles("[data-testid=file-input]", [process.env.PHOTO!]);
  await page.waitForTimeout(4000);
  console.log(await page.evaluate(() => document.body.innerText.slice(0, 300)));
} finally {
  await browser.close();
  await studio.stop();
}
