// Renders icon.svg to the PNG sizes electron-builder and the window use, and packs icon.ico
// (Windows, PNG-compressed entries) and icon.icns (macOS) without native tools.
// Run: node resources/icons/make-icons.mjs
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.dirname(fileURLToPath(import.meta.url));
const svg = await readFile(path.join(dir, 'icon.svg'));
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

const png = {};
for (const s of SIZES) {
  png[s] = await sharp(svg, { density: Math.max(72, (72 * s) / 1024 * 4) })
    .resize(s, s)
    .png({ compressionLevel: 9 })
    .toBuffer();
  // Linux (electron-builder reads NxN.png from the icon folder) and the window icon.
  await writeFile(path.join(dir, `${s}x${s}.png`), png[s]);
}
await writeFile(path.join(dir, 'icon.png'), png[512]);

// ICO: header, one directory entry per size, then the PNG images (Vista+ reads PNG entries).
function ico(sizes) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(sizes.length, 4);
  const entries = [];
  let offset = 6 + 16 * sizes.length;
  for (const s of sizes) {
    const e = Buffer.alloc(16);
    e.writeUInt8(s >= 256 ? 0 : s, 0);
    e.writeUInt8(s >= 256 ? 0 : s, 1);
    e.writeUInt8(0, 2);
    e.writeUInt8(0, 3);
    e.writeUInt16LE(1, 4);
    e.writeUInt16LE(32, 6);
    e.writeUInt32LE(png[s].length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png[s].length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...sizes.map((s) => png[s])]);
}
await writeFile(path.join(dir, 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256]));

// ICNS: 'icns' + total length, then (OSType, length incl. 8-byte header, PNG data) chunks.
function icns(chunks) {
  const parts = chunks.map(([type, s]) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png[s].length + 8, 4);
    return Buffer.concat([h, png[s]]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}
await writeFile(
  path.join(dir, 'icon.icns'),
  icns([
    ['icp4', 16],
    ['icp5', 32],
    ['icp6', 64],
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
    ['ic11', 32],
    ['ic12', 64],
    ['ic13', 256],
    ['ic14', 512],
  ]),
);
console.log(`icons: ${SIZES.map((s) => `${s}x${s}.png`).join(', ')}, icon.png, icon.ico, icon.icns`);
