import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, makePhoto, startStudio } from './helpers';

const dir = await mkdtemp(path.join(os.tmpdir(), 'loupe-shot-'));
const photo = await makePhoto(path.join(dir, 'in', 'lakeside.jpg'), 480, 320);
await makePhoto(path.join(dir, 'in', 'dusk.png'), 300, 200, 'png');
const studio = await startStudio(path.join(dir, 'data'));
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => console.log('console:', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(studio.url);
  await page.screenshot({ path: '/tmp/s0.png' });
  await page.setInputFiles('[data-testid=file-input]', [photo, path.join(dir, 'in', 'dusk.png')]);
  await page.waitForSelector('[data-testid=thumb]');
  await page.waitForTimeout(800);
  await page.screenshot({ path: '/tmp/s1.png' });
  await page.locator('[data-testid=thumb]').first().dblclick();
  await page.click('[data-method=bicubic]');
  await page.click('[data-testid=enhance-button]');
  await page.waitForSelector('[data-testid=after-image]', { timeout: 30000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: '/tmp/s2.png' });
  await page.keyboard.press('Control+e');
  await page.waitForSelector('[data-testid=export-dialog]');
  await page.screenshot({ path: '/tmp/s3.png' });
} finally {
  await browser.close();
  await studio.stop();
  console.log(studio.output());
}
