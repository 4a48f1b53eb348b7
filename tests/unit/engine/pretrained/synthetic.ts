// Small synthetic photos for engine tests: smooth gradients, soft and hard edges, some texture.
import sharp from 'sharp';
import type { FloatImage } from '../../../../src-main/contract/image';

export function svgScene(w: number, h: number, seed = 1): string {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) / 2 ** 24;
  };
  const shapes: string[] = [];
  for (let i = 0; i < 10; i++) {
    const col = `rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})`;
    const x = rnd() * w;
    const y = rnd() * h;
    const r = 4 + rnd() * w * 0.25;
    shapes.push(rnd() < 0.5 ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${col}" opacity="0.8"/>` : `<rect x="${x}" y="${y}" width="${r}" height="${r * 0.6}" fill="${col}" transform="rotate(${rnd() * 90} ${x} ${y})"/>`);
  }
  for (let i = 0; i < 6; i++) shapes.push(`<line x1="${rnd() * w}" y1="${rnd() * h}" x2="${rnd() * w}" y2="${rnd() * h}" stroke="black" stroke-width="${1 + rnd() * 2}"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="rgb(${40 + seed * 20 % 160},90,160)"/><stop offset="1" stop-color="rgb(230,200,${seed * 37 % 255})"/></linearGradient></defs>
<rect width="${w}" height="${h}" fill="url(#g)"/>${shapes.join('')}</svg>`;
}

export async function scenePng(w: number, h: number, seed = 1): Promise<Buffer> {
  return sharp(Buffer.from(svgScene(w, h, seed))).removeAlpha().png().toBuffer();
}

export async function toFloat(buf: Buffer): Promise<FloatImage> {
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 3, data: Float32Array.from(data, (v) => v / 255) };
}

export async function scene(w: number, h: number, seed = 1): Promise<FloatImage> {
  return toFloat(await scenePng(w, h, seed));
}
