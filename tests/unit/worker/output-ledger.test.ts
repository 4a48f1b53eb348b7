import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { placeNewBuffer, type PlaceOptions } from '../../../src-main/presets/place';
import { OutputLedger, outputLedgerPath, undoEarlierAttempt } from '../../../src-main/worker/output-ledger';

// The output ledger on real files: what one attempt records, the next attempt removes, and
// nothing else (not the original, not a file another writer put under a recorded name).

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

async function setup() {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-ledger-'));
  dirs.push(root);
  const out = path.join(root, 'out');
  const input = path.join(root, 'photo.png');
  await fs.writeFile(input, 'the original');
  return { root, out, input, ledgerFile: outputLedgerPath(path.join(root, 'data'), 'job-1') };
}

const listing = async (dir: string) => (await fs.readdir(dir)).sort();

describe('output ledger', () => {
  it('a redo removes every file the killed attempt placed (and its temporary files), then the ledger', async () => {
    const { out, input, ledgerFile } = await setup();
    const ledger = new OutputLedger(ledgerFile, [input]);
    const o = (base: string): PlaceOptions => ({ dir: out, base, ext: '.png', collision: 'suffix', protect: [input], log: ledger });
    const a = await placeNewBuffer(o('photo_x2'), 'main');
    const b = await placeNewBuffer(o('photo_web'), 'web');
    // Killed while the third file was being written: its temporary file is all there is.
    const tmp = path.join(out, '.photo_print.0123456789.tmp.png');
    await ledger.temp(tmp);
    await fs.writeFile(tmp, 'half a pri');
    // The process dies here: no undo, no discard. The ledger is on disk.
    expect(await fs.readFile(ledgerFile, 'utf8')).toContain(JSON.stringify(a));

    const removed = await undoEarlierAttempt(ledgerFile, [input]);
    expect(removed.sort()).toEqual([a, b].sort());
    expect(await listing(out)).toEqual([]);
    await expect(fs.access(ledgerFile)).rejects.toThrow();
    expect(await fs.readFile(input, 'utf8')).toBe('the original');

    // The redo writes the same names again, not `-2` copies.
    const redo = new OutputLedger(ledgerFile, [input]);
    expect(await placeNewBuffer({ ...o('photo_x2'), log: redo }, 'main')).toBe(a);
    await redo.discard();
    await expect(fs.access(ledgerFile)).rejects.toThrow();
    expect(await undoEarlierAttempt(ledgerFile, [input])).toEqual([]);
    expect(await listing(out)).toEqual(['photo_x2.png']);
  });

  it('never removes the original, even when a ledger names it', async () => {
    const { root, input, ledgerFile } = await setup();
    const ledger = new OutputLedger(ledgerFile, []);
    await ledger.placed(input); // a damaged or hostile ledger line naming the original
    const other = path.join(root, 'photo-link.png');
    await fs.link(input, other); // the original under a second name
    await ledger.placed(other);
    expect(await undoEarlierAttempt(ledgerFile, [input])).toEqual([]);
    expect(await fs.readFile(input, 'utf8')).toBe('the original');
    expect(await fs.readFile(other, 'utf8')).toBe('the original');
  });

  it('leaves a recorded name alone when another file is there now', async () => {
    const { out, input, ledgerFile } = await setup();
    const ledger = new OutputLedger(ledgerFile, [input]);
    const a = (await placeNewBuffer({ dir: out, base: 'photo_x2', ext: '.png', collision: 'suffix', protect: [input], log: ledger }, 'ours')) as string;
    // After the crash someone deleted our file and another program wrote its own there.
    await fs.rm(a);
    await fs.writeFile(a, 'theirs');
    expect(await undoEarlierAttempt(ledgerFile, [input])).toEqual([]);
    expect(await fs.readFile(a, 'utf8')).toBe('theirs');
  });

  it('killed between the ledger entry and the link: the temporary file goes, the free name stays free', async () => {
    const { out, input, ledgerFile } = await setup();
    await fs.mkdir(out, { recursive: true });
    const ledger = new OutputLedger(ledgerFile, [input]);
    const tmp = path.join(out, '.photo_x2.abcdef0123.tmp.png');
    await ledger.temp(tmp);
    await fs.writeFile(tmp, 'finished bytes');
    const target = path.join(out, 'photo_x2.png');
    await ledger.linking(tmp, target);
    // (no link: the process is gone) ... and another job then takes the name legitimately.
    await fs.writeFile(target, 'another job');
    expect(await undoEarlierAttempt(ledgerFile, [input])).toEqual([]);
    expect(await listing(out)).toEqual(['photo_x2.png']);
    expect(await fs.readFile(target, 'utf8')).toBe('another job');
  });

  it('a handled failure removes what this attempt placed; a ledger without a file works in memory', async () => {
    const { out, input } = await setup();
    const ledger = new OutputLedger(undefined, [input]);
    const a = await placeNewBuffer({ dir: out, base: 'x', ext: '.json', collision: 'suffix', protect: [input], log: ledger }, '{}');
    const b = await placeNewBuffer({ dir: out, base: 'x', ext: '.json', collision: 'suffix', protect: [input], log: ledger }, '{}');
    expect([a, b].map((f) => path.basename(f ?? ''))).toEqual(['x.json', 'x-2.json']);
    expect((await ledger.undo()).sort()).toEqual([a, b].sort());
    expect(await listing(out)).toEqual([]);
  });

  it('gives ids that are not plain file names a hashed ledger name inside its folder', () => {
    const dataDir = path.join(os.tmpdir(), 'd');
    const folder = path.join(dataDir, 'jobs', 'outputs');
    expect(outputLedgerPath(dataDir, 'c0ffee-12')).toBe(path.join(folder, 'c0ffee-12.jsonl'));
    const odd = outputLedgerPath(dataDir, '../../etc/passwd');
    expect(path.dirname(odd)).toBe(folder);
    expect(path.basename(odd)).toMatch(/^[0-9a-f]{32}\.jsonl$/);
  });
});
