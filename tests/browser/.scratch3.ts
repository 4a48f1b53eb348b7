import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, makePhoto, startStudio } from './helpers';

const dir = await mkdtemp(path.join(os.tmpdir(), 'loupe-shot-'));
const photo = await makePhoto(path.join(dir, 'in', 'harbour.jpg'), 144, 96);
const studio = await startStudio(path.join(dir, 'data'));
const browser = await launchChromium();
const t0 = Date.now();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(studio.url);
  await page.setInputFiles('[data-testid=file-input]', [photo]);
  await page.waitForSelector('[data-testid=thumb]');
  await page.locator('[data-testid=thumb]').first().dblclick();
  await page.click('[data-method=zssr]');
  await page.getByRole('radio', { name: 'Draft', exact: true }).click();
  await page.locator('details.advanced summary').click();
  await page.getByLabel('num_epochs').fill('200');
  await page.getByLabel('num_epochs').press('Tab');
  await page.screenshot({ path: '/tmp/z0.png' });
  await page.click('[data-testid=enhance-button]');
  await page.waitForSelector('[data-testid=loss-line]', { timeout: 120000 });
  console.log('first loss point after', Date.now() - t0);
  await page.waitForTimeout(4000);
  await page.screenshot({ path: '/tmp/z1.png' });
  await page.waitForSelector('[data-testid=after-image]', { timeout: 180000 });
  console.log('done after', Date.now() - t0);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: '/tmp/z2.png' });
} finally {
  await browser.close();
  await studio.stop();
  console.log(studio.output());
}
