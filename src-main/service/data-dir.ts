import os from 'node:os';
import path from 'node:path';

/**
 * Where the studio keeps its state: STUDIO_DATA_DIR, else the platform's user-data folder.
 * (Electron passes app.getPath('userData') explicitly instead.)
 */
export function resolveDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (env.STUDIO_DATA_DIR) return path.resolve(env.STUDIO_DATA_DIR);
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'Loupe Studio');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Loupe Studio');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'loupe-studio');
}

/** The layout of a data dir; every domain finds its folder here. */
export interface DataPaths {
  dataDir: string;
  settings: string;
  /** library.json: the library's index. */
  libraryIndex: string;
  /** Uploaded / imported photos (originals added by path stay where they are). */
  library: string;
  outputs: string;
  cache: string;
  /** Durable job journal. */
  journal: string;
  presets: string;
  /** Watched folders' state. */
  watch: string;
  /** How long jobs take on this machine (the Enhance panel's estimates). */
  speeds: string;
}

export function dataPaths(dataDir: string): DataPaths {
  const d = path.resolve(dataDir);
  return {
    dataDir: d,
    settings: path.join(d, 'settings.json'),
    libraryIndex: path.join(d, 'library.json'),
    library: path.join(d, 'library'),
    outputs: path.join(d, 'outputs'),
    cache: path.join(d, 'cache'),
    journal: path.join(d, 'jobs', 'journal.jsonl'),
    presets: path.join(d, 'presets'),
    watch: path.join(d, 'watch'),
    speeds: path.join(d, 'speeds.json'),
  };
}
