import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../base/resources';
import type { AppInfo, StudioApi } from '../contract/api';
import type { BackendPreference } from '../contract/enhance';
import type { WorkerPool } from '../jobs/worker-pool';
import type { SettingsStore } from './settings';

interface PackageInfo {
  version: string;
  engineVersion: string;
}

let pkg: PackageInfo | undefined;

/** Version numbers from the studio's package.json (base/resources finds it; a bundle passes them). */
export function packageInfo(): PackageInfo {
  if (pkg) return pkg;
  pkg = { version: '0.0.0', engineVersion: 'unknown' };
  const dir = packageRoot();
  try {
    if (dir) {
      const j = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string; dependencies?: Record<string, string> };
      pkg = { version: j.version ?? '0.0.0', engineVersion: `tfjs ${j.dependencies?.['@tensorflow/tfjs-core'] ?? 'unknown'}` };
    }
  } catch {
    // versions stay unknown
  }
  return pkg;
}

export interface AppDeps {
  dataDir: string;
  settings: SettingsStore;
  workers: WorkerPool;
  limits: AppInfo['limits'];
  desktop: boolean;
  version?: Partial<PackageInfo>;
  /** Recoveries since start, for the user (see AppInfo.notices). */
  notices?: () => readonly { at: number; message: string }[];
}

export function createAppApi(deps: AppDeps): Pick<StudioApi, 'app.info' | 'app.backend'> {
  return {
    'app.info': async () => {
      const p = { ...packageInfo(), ...deps.version };
      return {
        name: 'Loupe Studio',
        version: p.version,
        engineVersion: p.engineVersion,
        dataDir: deps.dataDir,
        outputsDir: deps.settings.get().outputsDir,
        limits: { ...deps.limits },
        desktop: deps.desktop,
        ...(deps.notices?.().length ? { notices: deps.notices().map((n) => ({ ...n })) } : {}),
      };
    },
    // The engine lives in the worker: it says which backend it can run and which one is active.
    'app.backend': async () => {
      const pref: BackendPreference = deps.settings.get().backend;
      return deps.workers.query('backend', pref);
    },
  };
}
