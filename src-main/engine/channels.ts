import type { FloatImage } from '../contract/image';

// Learned methods run on 3 channels: a grey photo goes in replicated and comes out as the mean.

/** RGB copy of a 1-channel image (a 3-channel one is returned as it is). */
export function toRgb(img: FloatImage): FloatImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const d = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = img.data[i];
  return { width: img.width, height: img.height, channels: 3, data: d };
}

/** Mean of the channels (a 1-channel image is returned as it is). */
export function toGray(img: FloatImage): FloatImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = (img.data[3 * i] + img.data[3 * i + 1] + img.data[3 * i + 2]) / 3;
  return { width: img.width, height: img.height, channels: 1, data: d };
}
