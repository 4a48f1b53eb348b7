import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planEnhance } from '../../../../src-main/cli/commands/enhance';

// `studio enhance --blind`: what the option puts in the request, and the usage errors around it.

let tmp: string;
let photo: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-cli-blind-'));
  photo = path.join(tmp, 'a.png');
  await fs.writeFile(photo, 'not read while planning');
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('studio enhance --blind', () => {
  it('asks ZSSR for Blind, next to the other ZSSR settings', async () => {
    const plan = await planEnhance([photo, '--scale', '4', '--method', 'zssr', '--preset', 'draft', '--blind']);
    expect(plan.base).toMatchObject({ method: 'zssr', scale: 4, preset: 'draft', zssr: { blind: true } });
    const plain = await planEnhance([photo, '--scale', '2', '--method', 'zssr']);
    expect(plain.base.zssr).toBeUndefined();
  });

  it('is a usage error with another method or a scale it has no kernel for', async () => {
    await expect(planEnhance([photo, '--scale', '2', '--method', 'bicubic', '--blind'])).rejects.toThrow(/--method zssr/);
    await expect(planEnhance([photo, '--scale', '3', '--method', 'zssr', '--blind'])).rejects.toThrow(/x2 and x4/);
  });
});
