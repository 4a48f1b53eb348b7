// Refits NIQE's pristine model (resources/niqe/pristine-model.json).
//
//   npx tsx bench/niqe-fit.ts                      the shipped corpus: freely licensed photos from
//                                                  Debian packages (needs apt-get and dpkg-deb)
//   npx tsx bench/niqe-fit.ts --images DIR... --out my-model.json   your own sharp photos
//
// Every photo is decoded, shrunk with MATLAB's bicubic imresize so its long side is at most
// --max-side (1280: the size of the release's pristine photos; it also averages away JPEG and
// demosaicing softness), turned into the 8-bit Y channel, and its sharpest 96x96 patches (sharpness
// above 0.75 of the image's sharpest) enter the fit, as in the release's estimatemodelparam.m.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { halfPlane, imresize } from '../src-main/engine/classical';
import { decodeImage } from '../src-main/imaging';
import { fitNiqeModel, lumaY, niqeFeatures, NIQE_BLOCK, type NiqeFeatures, type NiqeModelFile } from '../src-main/metrics';

interface Photo {
  pkg: string;
  /** Path inside the package. */
  file: string;
  licence: string;
  author: string;
}

const MATE = 'usr/share/backgrounds/mate/nature/';
const LOMIRI = 'usr/share/backgrounds/';
const PLASMA = (n: string) => `usr/share/wallpapers/${n}/contents/images/2560x1600.jpg`;
const SKIMAGE = 'usr/lib/python3/dist-packages/skimage/data/';

/** Debian bookworm package versions the shipped model was fitted on. */
export const PACKAGES: Record<string, string> = {
  'mate-backgrounds': '1.26.0-1',
  'lomiri-wallpapers-16.04': '20.04.0-2',
  'lomiri-wallpapers-20.04': '20.04.0-2',
  'plasma-workspace-wallpapers': '4:5.27.5-2',
  'python3-skimage': '0.19.3-8',
};

/**
 * Natural photographs that are sharp across the frame, each with the licence its package's
 * copyright file (or, for scikit-image, its data docstring) gives. Left out of the same packages:
 * renders and drawings, mostly flat skies, and shallow depth-of-field shots (macro flowers,
 * insects, objects against bokeh). Those are mostly defocus blur, and since each image
 * contributes the patches above 0.75 of its own sharpest, they teach the model that blurred
 * edges are pristine: with them in, a held-out photo blurred with sigma 1.5 scored better than
 * the photo itself. scikit-image's coffee.png is kept out: the unit tests use a crop of it as an
 * unseen photo.
 */
export const CORPUS: Photo[] = [
  ...[
    ['Dune', 'Marco Cogoni, Hylke Bons'],
    ['GreenMeadow', 'Timothy Schellhase, Lapo Calamandrei'],
    ['Storm', 'Sergey Nazarov'],
    ['Wood', 'Jean-François Fortin Tam'],
  ].map(([n, author]) => ({ pkg: 'mate-backgrounds', file: `${MATE}${n}.jpg`, licence: 'GPL-2+', author })),
  ...[
    ['Bridge_by_Sander_Klootwijk', 'CC-BY-SA-4.0', 'Sander Klootwijk'],
    ['Picture_0B_by_freespace', 'CC-BY-4.0', 'Trevor "Freespace"'],
    ['Picture_1A_by_freespace', 'CC-BY-4.0', 'Trevor "Freespace"'],
    ['aitzgorri_by_Aitzol_Berasategi', 'CC-BY-4.0', 'Aitzol Berasategi'],
    ['friends_by_Aitzol_Berasategi', 'CC-BY-4.0', 'Aitzol Berasategi'],
    ['life_by_Aitzol_Berasategi', 'CC-BY-4.0', 'Aitzol Berasategi'],
    ['picosdeeuropa_by_Aitzol_Berasategi', 'CC-BY-4.0', 'Aitzol Berasategi'],
  ].map(([n, licence, author]) => ({ pkg: 'lomiri-wallpapers-16.04', file: `${LOMIRI}${n}.jpg`, licence, author })),
  { pkg: 'lomiri-wallpapers-20.04', file: `${LOMIRI}Kleiber_by_Lukas_Baubkus.jpg`, licence: 'CC-BY-SA-3.0', author: 'Lukas Baubkus' },
  ...[
    ['BytheWater', 'Maciej Wiklo'],
    ['ColdRipple', 'Risto Saukonpää'],
    ['EveningGlow', 'Ian Hex'],
    ['Grey', 'Sigi Sagi'],
    ['OneStandsOut', 'Risto Saukonpää'],
    ['Path', 'Risto Saukonpää'],
  ].map(([n, author]) => ({ pkg: 'plasma-workspace-wallpapers', file: PLASMA(n), licence: 'GPL-2+ (Debian copyright; LGPL-3 in its metadata)', author })),
  { pkg: 'python3-skimage', file: `${SKIMAGE}astronaut.png`, licence: 'public domain (NASA)', author: 'NASA' },
  { pkg: 'python3-skimage', file: `${SKIMAGE}camera.png`, licence: 'CC0', author: 'Lav Varshney' },
  { pkg: 'python3-skimage', file: `${SKIMAGE}chelsea.png`, licence: 'CC0', author: 'Stefan van der Walt' },
  { pkg: 'python3-skimage', file: `${SKIMAGE}rocket.jpg`, licence: 'public domain (SpaceX)', author: 'SpaceX' },
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHIPPED_MODEL = path.join(root, 'resources', 'niqe', 'pristine-model.json');

/** Downloads (apt-get download) and unpacks the corpus packages; returns the unpacked root. */
function fetchPackages(dir: string, log: (m: string) => void): Record<string, string> {
  const got: Record<string, string> = {};
  for (const [pkg, version] of Object.entries(PACKAGES)) {
    let spec = `${pkg}=${version}`;
    try {
      execFileSync('apt-get', ['download', spec], { cwd: dir, stdio: 'pipe' });
    } catch {
      log(`${spec} is not available; using the current ${pkg} (file hashes will say what changed)`);
      spec = pkg;
      execFileSync('apt-get', ['download', pkg], { cwd: dir, stdio: 'pipe' });
    }
    const deb = fs.readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${spec} left no .deb`);
    got[pkg] = decodeURIComponent(deb.split('_')[1]);
    execFileSync('dpkg-deb', ['-x', deb, path.join(dir, 'root')], { cwd: dir });
  }
  return got;
}

export interface FittedImage {
  name: string;
  features: NiqeFeatures;
  width: number;
  height: number;
}

/** Decode, shrink to `maxSide`, Y channel, NIQE features. */
export async function prepare(file: string, maxSide: number): Promise<FittedImage> {
  let { rgb } = await decodeImage(file);
  const long = Math.max(rgb.width, rgb.height);
  if (long > maxSide) rgb = imresize(rgb, { scale: maxSide / long });
  const y = lumaY(rgb);
  return { name: path.basename(file), features: niqeFeatures(y, halfPlane), width: y.width, height: y.height };
}

const sha256 = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', multiple: true },
      out: { type: 'string' },
      'max-side': { type: 'string', default: '1280' },
      threshold: { type: 'string', default: '0.75' },
    },
  });
  const maxSide = Number(values['max-side']);
  const threshold = Number(values.threshold);
  const log = (m: string) => console.error(`[niqe-fit] ${m}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'niqe-fit-'));
  try {
    let files: { path: string; photo?: Photo }[];
    let fittedOn: string;
    let versions: Record<string, string> = {};
    if (values.images?.length) {
      files = values.images.flatMap((p) =>
        fs.statSync(p).isDirectory()
          ? fs
              .readdirSync(p)
              .filter((n) => /\.(png|jpe?g|tiff?|webp)$/i.test(n))
              .sort()
              .map((n) => ({ path: path.join(p, n) }))
          : [{ path: p }],
      );
      fittedOn = `${files.length} photos from ${values.images.join(', ')}`;
    } else {
      versions = fetchPackages(tmp, log);
      files = CORPUS.map((photo) => ({ path: path.join(tmp, 'root', photo.file), photo }));
      fittedOn = `${files.length} freely licensed photos from Debian packages (${Object.entries(versions)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ')}), long side shrunk to at most ${maxSide} px; list with licences in 'images'`;
    }
    const prepared: FittedImage[] = [];
    for (const f of files) {
      const p = await prepare(f.path, maxSide);
      prepared.push(p);
      log(`${f.photo ? `${f.photo.pkg}: ${f.photo.file.split('/').slice(-4).join('/')}` : p.name}: ${p.width}x${p.height}, ${p.features.rows.length} patches`);
    }
    const fit = fitNiqeModel(
      prepared.map((p) => p.features),
      threshold,
    );
    const model: NiqeModelFile & { images: unknown[] } = {
      format: 'loupe-niqe-model/1',
      blockSize: NIQE_BLOCK,
      sharpnessThreshold: threshold,
      channel: 'Y of BT.601 (16-235), 8-bit, as the PSNR/SSIM protocol',
      fittedOn,
      patches: fit.patches,
      mean: Array.from(fit.mean),
      cov: Array.from({ length: fit.mean.length }, (_, i) => Array.from(fit.cov.subarray(i * fit.mean.length, (i + 1) * fit.mean.length))),
      images: files.map((f, i) => ({
        file: f.photo ? `${f.photo.pkg}: /${f.photo.file}` : path.basename(f.path),
        ...(f.photo ? { licence: f.photo.licence, author: f.photo.author } : {}),
        sha256: sha256(f.path),
        size: `${prepared[i].width}x${prepared[i].height}`,
      })),
    };
    const out = values.out ?? SHIPPED_MODEL;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const before = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { images?: { file: string; sha256: string }[] }).images : undefined;
    for (const img of model.images as { file: string; sha256: string }[]) {
      const was = before?.find((b) => b.file === img.file);
      if (was && was.sha256 !== img.sha256) log(`${img.file} differs from the one the previous model was fitted on`);
    }
    // One line per image and per covariance row.
    const text = JSON.stringify(model, null, 1).replace(/\[\s*(-?\d[^\]{}"]*?)\s*\]/g, (_m, body: string) => `[${body.replace(/\s+/g, '')}]`).replace(/\{\s*("file"[^}]*?)\s*\}/g, (_m, body: string) => `{ ${body.replace(/\n\s*/g, ' ')} }`);
    fs.writeFileSync(out, `${text}\n`);
    log(`${fit.patches} patches from ${files.length} photos -> ${out}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
