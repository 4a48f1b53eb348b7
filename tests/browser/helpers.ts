import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A synthetic "landscape" with smooth gradients, hard edges, thin lines and lettering, so
 * enlargements differ visibly between methods. Rendered by sharp from SVG.
 */
const PALETTES = {
  dusk: { top: '#1f3b63', mid: '#d98c55', low: '#f2c27b', far: '#3b3347', near: '#272636', lake: '#c0794a', sun: '#ffd27a' },
  day: { top: '#2f6db5', mid: '#8fc0e8', low: '#dcebf5', far: '#58708a', near: '#2f4a3c', lake: '#6f9fc4', sun: '#fffbe8' },
  night: { top: '#0b0f24', mid: '#2b2a5a', low: '#5d4a7a', far: '#1d1c33', near: '#101020', lake: '#3a3560', sun: '#e8e6ff' },
  fog: { top: '#8d949a', mid: '#b9bec2', low: '#d8d9d8', far: '#7b8288', near: '#5a6166', lake: '#a9afb3', sun: '#f4f4f0' },
  ember: { top: '#3a1020', mid: '#b6412c', low: '#f0a050', far: '#4a1f24', near: '#2a1216', lake: '#a0402a', sun: '#ffe0a0' },
} as const;
export type Palette = keyof typeof PALETTES;

export async function makePhoto(file: string, width: number, height: number, format: 'jpeg' | 'png' = 'jpeg', palette: Palette = 'dusk'): Promise<string> {
  const c = PALETTES[palette];
  const sunX = 640 - Object.keys(PALETTES).indexOf(palette) * 110;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="640" viewBox="0 0 960 640">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${c.top}"/><stop offset="0.55" stop-color="${c.mid}"/><stop offset="1" stop-color="${c.low}"/>
    </linearGradient>
    <linearGradient id="lake" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${c.lake}"/><stop offset="1" stop-color="#1b2a3f"/>
    </linearGradient>
    <radialGradient id="sun" cx="0.5" cy="0.5" r="0.5">
      <stop offset="0" stop-color="#fffef4"/><stop offset="0.6" stop-color="${c.sun}"/><stop offset="1" stop-color="${c.sun}" stop-opacity="0"/>
    </radialGradient>
  </defs>
  <rect width="960" height="640" fill="url(#sky)"/>
  <circle cx="${sunX}" cy="300" r="90" fill="url(#sun)"/>
  <path d="M0 390 L120 250 L210 320 L330 180 L450 330 L560 240 L700 360 L820 230 L960 330 L960 420 L0 420 Z" fill="${c.far}"/>
  <path d="M0 420 L90 340 L200 400 L300 330 L420 410 L520 350 L650 420 L780 340 L960 410 L960 440 L0 440 Z" fill="${c.near}"/>
  <rect y="440" width="960" height="200" fill="url(#lake)"/>
  ${Array.from({ length: 26 }, (_, i) => `<line x1="${40 + i * 34}" y1="${455 + (i % 5) * 30}" x2="${90 + i * 34}" y2="${455 + (i % 5) * 30}" stroke="#f6d9a8" stroke-opacity="0.5" stroke-width="2"/>`).join('')}
  ${Array.from({ length: 18 }, (_, i) => `<path d="M${30 + i * 52} 440 l14 -${50 + (i % 4) * 14} l14 ${50 + (i % 4) * 14} z" fill="#141a18"/>`).join('')}
  <g font-family="DejaVu Sans, sans-serif" font-weight="bold" fill="#fff">
    <rect x="60" y="520" width="250" height="70" rx="6" fill="#101010" fill-opacity="0.65"/>
    <text x="80" y="568" font-size="40" letter-spacing="4">LOUPE 24</text>
  </g>
  <g stroke="#101010" stroke-width="1.5">${Array.from({ length: 20 }, (_, i) => `<line x1="${700 + i * 6}" y1="500" x2="${700 + i * 6}" y2="600"/>`).join('')}</g>
</svg>`;
  await mkdir(path.dirname(file), { recursive: true });
  const img = sharp(Buffer.from(svg)).resize(width, height, { fit: 'fill' });
  await (format === 'jpeg' ? img.jpeg({ quality: 92 }) : img.png()).toFile(file);
  return file;
}

export interface RunningStudio {
  url: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** `studio serve --port 0` as a child process, resolved once it prints its URL. */
export async function startStudio(dataDir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<RunningStudio> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/studio.js'), 'serve', '--port', '0', '--data-dir', dataDir, ...extra], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`studio serve did not start:\n${out}`)), 60_000);
    const check = (): void => {
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`studio serve exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface BrowserStudio {
  /** The temporary folder holding the data folder, photos and anything the file makes. */
  root: string;
  dataDir: string;
  studio: RunningStudio;
  page: Page;
  /** Closes Chromium, stops the studio and removes the folder. */
  close(): Promise<void>;
}

export interface BrowserStudioSetup {
  /** Extra `studio serve` arguments. */
  args?: string[];
  env?: Record<string, string>;
}

/**
 * What each browser test file starts with: a temporary folder, `studio serve` on `<root>/data`,
 * Chromium and one page. `prepare` runs first, in the folder (photos, folders to allow), and says
 * what the studio needs. Whatever started is stopped again if a later part fails.
 */
export async function openBrowserStudio(prefix: string, prepare?: (root: string) => Promise<BrowserStudioSetup | void>): Promise<BrowserStudio> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const dataDir = path.join(root, 'data');
  let studio: RunningStudio | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await studio?.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const setup = (await prepare?.(root)) ?? {};
    studio = await startStudio(dataDir, setup.args ?? [], setup.env ?? {});
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    return { root, dataDir, studio, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
