// Where the studio's shipped files live (built-in presets, ICC profiles). Dev runs, tests and a
// bundled main all find the repository's resources/ by walking up from this module; packaged
// apps set STUDIO_RESOURCES_DIR (or pass a directory explicitly).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function resourcesDir(): string {
  const fromEnv = process.env.STUDIO_RESOURCES_DIR;
  if (fromEnv) return fromEnv;
  if (cached) return cached;
  const electronResources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  const candidates: string[] = [];
  if (electronResources) candidates.push(path.join(electronResources, 'resources'), electronResources);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    candidates.push(path.join(dir, 'resources'));
    dir = path.dirname(dir);
  }
  cached = candidates.find((c) => fs.existsSync(path.join(c, 'presets'))) ?? candidates[candidates.length - 1];
  return cached;
}

export function presetResource(...parts: string[]): string {
  return path.join(resourcesDir(), 'presets', ...parts);
}
