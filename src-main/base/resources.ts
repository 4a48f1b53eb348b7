// Where the studio's shipped files live (built-in presets, ICC profiles). Dev runs, tests and a
// bundled main all find the repository's resources/ by walking up from this module; packaged
// apps set STUDIO_RESOURCES_DIR (or pass a directory explicitly).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;
let root: string | null | undefined;

/**
 * The studio's package folder (where its package.json, resources/ and out/ are), found upwards
 * from this module: the same from the sources, a test and the built out/main/*.js. Undefined
 * inside a packaged app, which passes its own paths.
 */
export function packageRoot(): string | undefined {
  if (root !== undefined) return root ?? undefined;
  root = null;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const j = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (j.name === 'loupe-studio') {
        root = dir;
        break;
      }
    } catch {
      // keep looking upwards
    }
    dir = path.dirname(dir);
  }
  return root ?? undefined;
}

/** A built file of the studio (`out/...`); undefined when there is no package folder. */
export function builtFile(...parts: string[]): string | undefined {
  const r = packageRoot();
  return r ? path.join(r, 'out', ...parts) : undefined;
}

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
