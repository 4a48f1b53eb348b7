import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, startStudio } from './helpers';

const dir = await mkdtemp(path.join(os.tmpdir(), 'loupe-shot-'));
const studio = await startStudio(path.join(dir, 'data'));
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  page.on('requestfinished', async (r) => console.log('req', r.method(), r.url(), (await r.response())?.status(), r.postData()));
  await page.goto(studio.url);
  await page.waitForTimeout(1500);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Cache size limit in megabytes').fill('512');
  console.log('disabled?', await page.getByRole('button', { name: 'Save settings' }).isDisabled());
  await page.getByRole('button', { name: 'Save settings' }).click({ timeout: 5000 });
  await page.waitForTimeout(3000);
  await page.screenshot({ path: '/tmp/set.png' });
} finally {
  await browser.close();
  await studio.stop();
}
