import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { probeImage } from '../../../src-main/imaging';
import { cameraHints } from '../../../src-main/worker/hints';

describe('camera hints for the model cache', () => {
  it('reads camera, lens and ISO from EXIF', async () => {
    const buf = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .withExif({ IFD0: { Make: 'FUJIFILM', Model: 'X-T4' }, IFD2: { ISOSpeedRatings: '1600', LensModel: 'XF23mmF1.4 R' } })
      .jpeg()
      .toBuffer();
    const { exif } = await probeImage(buf);
    expect(cameraHints(exif)).toEqual({ camera: 'FUJIFILM X-T4', lens: 'XF23mmF1.4 R', iso: '1600' });
  });

  it('gives nothing for photos without EXIF or with a damaged block', async () => {
    const plain = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toBuffer();
    expect(cameraHints((await probeImage(plain)).exif)).toBeUndefined();
    expect(cameraHints(Buffer.from('MM\0*garbage'))).toBeUndefined();
    expect(cameraHints(undefined)).toBeUndefined();
  });
});
