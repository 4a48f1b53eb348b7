import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tmpDir } from './helpers';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../../../bin/studio.js');

async function studio(args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, STUDIO_DATA_DIR: dataDir }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('studio presets', () => {
  it('lists, shows, imports and exports presets', async () => {
    const dataDir = await tmpDir();
    const work = await tmpDir();
    const file = path.join(work, 'acme.json');
    await fs.writeFile(
      file,
      JSON.stringify({ version: 1, name: 'Acme proofs', format: 'jpeg', quality: 70, longEdge: 1200, template: '{name}_proof' }),
    );

    const imported = await studio(['presets', 'import', file], dataDir);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('imported acme-proofs');

    const ls = await studio(['presets', 'ls'], dataDir);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/client-web-jpeg-2048\s+built-in\s+1\s+Client web JPEG 2048/);
    expect(ls.stdout).toMatch(/acme-proofs\s+user\s+1\s+Acme proofs/);

    const show = await studio(['presets', 'show', 'Acme proofs'], dataDir);
    expect(show.stdout).toContain('JPEG q70, long edge at most 1200 px, sRGB');
    expect(show.stdout).toContain('name: {name}_proof');

    const out = path.join(work, 'out.json');
    expect((await studio(['presets', 'export', '-o', out], dataDir)).code).toBe(0);
    const doc = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(doc.presets.map((p: { id: string }) => p.id)).toEqual(['acme-proofs']);
    const again = await studio(['presets', 'export', '-o', out], dataDir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('E_WOULD_OVERWRITE');

    const bad = path.join(work, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ version: 2, name: 'Bad', outputs: [{ kind: 'image', format: { format: 'gif' } }] }));
    const rejected = await studio(['presets', 'import', bad], dataDir);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('E_PRESET_INVALID');
    expect(rejected.stderr).toContain('outputs[0].format.format');

    const usage = await studio(['presets', 'frobnicate'], dataDir);
    expect(usage.code).toBe(2);
  });
});
