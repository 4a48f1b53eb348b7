// Blur kernels from files: MATLAB .mat (level 5, the format of the original ZSSR's and KernelGAN's
// kernels, compressed or not), NumPy .npy, JSON, plain text rows and grey images (.png...).
// Read here (not in the engine) because images need sharp; the worker hands the engine the matrix.
// No MAT/NPY reader on npm covers these few cases without pulling in a large dependency tree, and
// each format needs only its header and one numeric array, so they are read here.
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { StudioError } from '../contract/errors';

/** Largest kernel side accepted (KernelGAN's are 13 to 25; the original ZSSR's 13). */
export const MAX_KERNEL_SIDE = 64;

function bad(file: string, message: string): StudioError {
  return new StudioError('E_KERNEL_INVALID', `${file}: ${message}`, { file });
}

/**
 * Checks a matrix and scales it to sum 1. Negative lobes (as KernelGAN estimates them) are kept;
 * the sum must be clearly positive.
 */
export function normaliseKernel(rows: number[][], file = 'kernel'): number[][] {
  const h = rows.length;
  const w = rows[0]?.length ?? 0;
  if (h === 0 || w === 0 || rows.some((r) => r.length !== w)) throw bad(file, 'a blur kernel must be a rectangular matrix of numbers');
  if (h > MAX_KERNEL_SIDE || w > MAX_KERNEL_SIDE) throw bad(file, `the blur kernel is ${h}x${w}; at most ${MAX_KERNEL_SIDE}x${MAX_KERNEL_SIDE} is accepted`);
  if (rows.some((r) => r.some((v) => typeof v !== 'number' || !Number.isFinite(v)))) throw bad(file, 'the blur kernel has a value that is not a finite number');
  const flat = rows.flat();
  const sum = flat.reduce((s, v) => s + v, 0);
  const mass = flat.reduce((s, v) => s + Math.abs(v), 0);
  if (!(sum > 0.05 * mass)) throw bad(file, `the blur kernel must sum to a positive number (sum ${sum.toPrecision(3)}, total magnitude ${mass.toPrecision(3)})`);
  return rows.map((r) => r.map((v) => v / sum));
}

/** JSON `[[...], ...]`, `{"Kernel": [[...]]}` (any single matrix-valued key), or rows of numbers. */
export function parseKernelText(text: string, file = 'kernel'): number[][] {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (err) {
      throw bad(file, `not valid JSON (${(err as Error).message})`);
    }
    const isMatrix = (v: unknown): v is number[][] => Array.isArray(v) && v.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed).filter(([, v]) => isMatrix(v));
      const pick = entries.find(([k]) => k === 'Kernel' || k === 'kernel') ?? (entries.length === 1 ? entries[0] : undefined);
      if (!pick) throw bad(file, 'a JSON kernel object needs one matrix-valued key ("Kernel")');
      parsed = pick[1];
    }
    if (!isMatrix(parsed)) throw bad(file, 'a JSON kernel must be an array of rows of numbers');
    return normaliseKernel(parsed, file);
  }
  const rows = t
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('%'))
    .map((l) => l.split(/[\s,;]+/).map(Number));
  return normaliseKernel(rows, file);
}

// ---- NumPy .npy ----

/** A 2-D array from a .npy file (little/big endian float/int, C or Fortran order). */
export function parseNpy(buf: Buffer, file = 'kernel.npy'): number[][] {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw bad(file, 'not a NumPy .npy file (magic bytes missing)');
  const major = buf.readUInt8(6);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw bad(file, 'the .npy header is cut short');
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([<>|=])([fiu])(\d+)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) throw bad(file, `unsupported .npy header ${header.trim()}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const [h, w] = squeeze2d(dims, file);
  const [, endian, kind, sizeStr] = descr;
  const read = elementReader(kind, Number(sizeStr), endian !== '>', file);
  const data = start + headerLen;
  if (data + h * w * read.size > buf.length) throw bad(file, `the .npy data is shorter than its ${h}x${w} shape`);
  const fortran = order[1] === 'True';
  return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => read.at(buf, data + (fortran ? j * h + i : i * w + j) * read.size)));
}

/** [h, w] of a matrix, dropping singleton dimensions (a 13x13x1 array is a 13x13 kernel). */
function squeeze2d(dims: number[], file: string): [number, number] {
  const d = dims.filter((x) => x !== 1);
  if (dims.some((x) => !Number.isInteger(x) || x < 1)) throw bad(file, `the array has an empty or invalid shape (${dims.join('x')})`);
  if (d.length > 2) throw bad(file, `a blur kernel must be a 2-D matrix; this array is ${dims.join('x')}`);
  if (d.length === 2) return [d[0], d[1]];
  // A vector or a single number: keep it as the row or column it was.
  return dims.length >= 2 ? [dims[0], dims.slice(1).reduce((a, b) => a * b, 1)] : [1, dims[0] ?? 1];
}

interface ElementReader {
  size: number;
  at(buf: Buffer, offset: number): number;
}

function elementReader(kind: string, size: number, little: boolean, file: string): ElementReader {
  const key = `${kind}${size}`;
  const L = little;
  const readers: Record<string, (b: Buffer, o: number) => number> = {
    f4: (b, o) => (L ? b.readFloatLE(o) : b.readFloatBE(o)),
    f8: (b, o) => (L ? b.readDoubleLE(o) : b.readDoubleBE(o)),
    i1: (b, o) => b.readInt8(o),
    u1: (b, o) => b.readUInt8(o),
    i2: (b, o) => (L ? b.readInt16LE(o) : b.readInt16BE(o)),
    u2: (b, o) => (L ? b.readUInt16LE(o) : b.readUInt16BE(o)),
    i4: (b, o) => (L ? b.readInt32LE(o) : b.readInt32BE(o)),
    u4: (b, o) => (L ? b.readUInt32LE(o) : b.readUInt32BE(o)),
    i8: (b, o) => Number(L ? b.readBigInt64LE(o) : b.readBigInt64BE(o)),
    u8: (b, o) => Number(L ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)),
  };
  const at = readers[key];
  if (!at) throw bad(file, `unsupported number type ${kind}${size} (float32/64 or integers are read)`);
  return { size, at };
}

// ---- MATLAB level 5 .mat ----

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15 } as const;
const MI_READER: Record<number, [string, number]> = {
  [MI.INT8]: ['i', 1],
  [MI.UINT8]: ['u', 1],
  [MI.INT16]: ['i', 2],
  [MI.UINT16]: ['u', 2],
  [MI.INT32]: ['i', 4],
  [MI.UINT32]: ['u', 4],
  [MI.SINGLE]: ['f', 4],
  [MI.DOUBLE]: ['f', 8],
  [MI.INT64]: ['i', 8],
  [MI.UINT64]: ['u', 8],
};
/** mxCHAR, mxSPARSE, cells and structs (1-5) are not numbers; 6..15 are numeric classes. */
const NUMERIC_CLASS = (c: number): boolean => c >= 6 && c <= 15;

interface MatElement {
  type: number;
  data: Buffer;
}

/** Data elements of a buffer: 8-byte tags (or 4-byte "small element" tags), padded to 8 bytes. */
function* matElements(buf: Buffer, little: boolean, file: string): Generator<MatElement> {
  const u32 = (o: number): number => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  let at = 0;
  while (at + 8 <= buf.length) {
    const first = u32(at);
    const smallBytes = first >>> 16;
    if (smallBytes !== 0 && smallBytes <= 4) {
      // Small data element: type in the low 16 bits, size in the high 16, data in the next 4 bytes.
      yield { type: first & 0xffff, data: buf.subarray(at + 4, at + 4 + smallBytes) };
      at += 8;
      continue;
    }
    const type = first;
    const size = u32(at + 4);
    if (at + 8 + size > buf.length) throw bad(file, 'a MAT-file data element runs past the end of the file');
    yield { type, data: buf.subarray(at + 8, at + 8 + size) };
    // Compressed elements are not padded; everything else is padded to 8 bytes.
    at += 8 + (type === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8);
  }
}

interface MatVariable {
  name: string;
  rows: number[][];
}

function readMatrix(data: Buffer, little: boolean, file: string): MatVariable | undefined {
  const parts = [...matElements(data, little, file)];
  if (parts.length < 3) throw bad(file, 'a MAT-file matrix is missing its flags, dimensions or name');
  const [flags, dimsEl, nameEl, real] = parts;
  const u32 = (b: Buffer, o: number): number => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const cls = u32(flags.data, 0) & 0xff;
  const complex = (u32(flags.data, 0) & 0x800) !== 0;
  const name = nameEl.data.toString('latin1');
  if (!NUMERIC_CLASS(cls) || !real) return undefined; // text, cells, structs, sparse: not a kernel
  if (complex) throw bad(file, `variable "${name}" is complex; a blur kernel must be real`);
  const dims: number[] = [];
  for (let o = 0; o + 4 <= dimsEl.data.length; o += 4) dims.push(little ? dimsEl.data.readInt32LE(o) : dimsEl.data.readInt32BE(o));
  const [h, w] = squeeze2d(dims, `${file} ("${name}")`);
  const spec = MI_READER[real.type];
  if (!spec) throw bad(file, `variable "${name}" stores its numbers as an unsupported type (${real.type})`);
  const read = elementReader(spec[0], spec[1], little, file);
  if (real.data.length < h * w * read.size) throw bad(file, `variable "${name}" holds fewer numbers than its ${h}x${w} size`);
  // MATLAB stores column by column.
  const rows = Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => read.at(real.data, (j * h + i) * read.size)));
  return { name, rows };
}

/**
 * The kernel of a MATLAB level 5 MAT-file (what `save` writes up to -v7, and scipy's savemat):
 * the variable "Kernel" (the original ZSSR's and KernelGAN's name), else "kernel", else the only
 * numeric matrix in the file.
 */
export function parseMat(buf: Buffer, file = 'kernel.mat'): number[][] {
  if (buf.length < 128) throw bad(file, 'too short for a MAT-file');
  const text = buf.toString('latin1', 0, 116);
  const endian = buf.toString('latin1', 126, 128);
  if (text.startsWith('MATLAB 7.3') || buf.readUInt16LE(124) === 0x0200) {
    throw bad(file, 'MAT-file version 7.3 (HDF5) is not supported; save the kernel with save(..., \'-v7\') or as .npy/.json');
  }
  if (!text.startsWith('MATLAB') || (endian !== 'IM' && endian !== 'MI')) {
    // A level 4 file starts with its first matrix header: a small type number, no text.
    const v4 = buf.readUInt32LE(0) < 5000 && buf.readUInt32LE(4) > 0 && buf.readUInt32LE(4) <= MAX_KERNEL_SIDE;
    throw bad(file, v4 ? 'MAT-file version 4 is not supported; save the kernel with save(..., \'-v7\') or as .npy/.json' : 'not a MATLAB level 5 MAT-file');
  }
  const little = endian === 'IM';
  const vars: MatVariable[] = [];
  const visit = (el: MatElement): void => {
    if (el.type === MI.COMPRESSED) {
      let inner: Buffer;
      try {
        inner = zlib.inflateSync(el.data);
      } catch (err) {
        throw bad(file, `a compressed MAT-file element is damaged (${(err as Error).message})`);
      }
      for (const e of matElements(inner, little, file)) visit(e);
    } else if (el.type === MI.MATRIX) {
      const v = readMatrix(el.data, little, file);
      if (v) vars.push(v);
    }
  };
  for (const el of matElements(buf.subarray(128), little, file)) visit(el);
  const pick = vars.find((v) => v.name === 'Kernel') ?? vars.find((v) => v.name === 'kernel') ?? (vars.length === 1 ? vars[0] : undefined);
  if (!pick) {
    throw bad(file, vars.length ? `several matrices (${vars.map((v) => v.name).join(', ')}); name the kernel "Kernel"` : 'no numeric matrix in the MAT-file');
  }
  return pick.rows;
}

// ---- images ----

async function parseKernelImage(buf: Buffer, file: string): Promise<number[][]> {
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const img = sharp(buf, { failOn: 'error' });
    const meta = await img.metadata();
    const deep = meta.depth === 'ushort';
    raw = await img.toColourspace(deep ? 'grey16' : 'b-w').raw({ depth: deep ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw bad(file, `not a readable image (${(err as Error).message})`);
  }
  const { width: w, height: h, channels: c } = raw.info;
  const deep = raw.data.length >= w * h * c * 2;
  const px = (i: number): number => (deep ? raw.data.readUInt16LE(2 * i * c) : raw.data[i * c]);
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => px(y * w + x)));
}

/**
 * A blur kernel from a file, by extension: .mat, .npy, .json, .png/.tif/.webp (grey image),
 * anything else as text rows. Scaled to sum 1. Errors are E_FILE_NOT_FOUND or E_KERNEL_INVALID.
 */
export async function loadKernelFile(file: string): Promise<number[][]> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch {
    throw new StudioError('E_FILE_NOT_FOUND', `blur kernel file not found: ${file}`, { file });
  }
  if (!buf.length) throw bad(file, 'the file is empty');
  const ext = path.extname(file).toLowerCase();
  const name = path.basename(file);
  switch (ext) {
    case '.mat':
      return normaliseKernel(parseMat(buf, name), name);
    case '.npy':
      return normaliseKernel(parseNpy(buf, name), name);
    case '.png':
    case '.tif':
    case '.tiff':
    case '.webp':
      return normaliseKernel(await parseKernelImage(buf, name), name);
    default:
      if (buf.includes(0)) throw bad(file, 'binary data in a text kernel file; use .mat, .npy, .json or a grey .png');
      return parseKernelText(buf.toString('utf8'), name);
  }
}
