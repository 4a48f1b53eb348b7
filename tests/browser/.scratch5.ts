import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, startStudio } from './helpers';
const dir = await mkdtemp(path.join(os.tmpdir(), 'loupe-shot-'));
const studio = await startStudio(path.join(dir, 'data'));
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('console:', m.type(), m.text().slice(0, 120)));
  await page.goto(studio.url);
  await page.waitForTimeout(1000);
  await page.evaluate(() => { document.body.insertAdjacentHTML('beforeend', '<div style="color:red">x</div>'); });
  await page.waitForTimeout(500);
} finally {
  await browser.close();
  await studio.stop();
}
