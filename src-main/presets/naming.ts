// Naming templates: '{name}_{client}_{w}px' -> 'IMG_0042_acme_2048px'. Every token value and
// every folder segment is made safe for Windows, macOS and Linux file systems.
import path from 'node:path';
import { NAMING_TOKENS, type NamingToken } from '../contract/presets';

export interface NamingContext {
  /** Source file name without extension. */
  name: string;
  client?: string;
  /** Preset id (a slug, so names stay free of spaces). */
  preset: string;
  method: string;
  scale: number;
  date: Date;
  seq: number;
  w: number;
  h: number;
}

const ILLEGAL = /[\\/:*?"<>|\u0000-\u001f\u007f]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_SEGMENT = 180;

/** One path segment: no separators, control or reserved characters, no trailing dots/spaces. */
export function safeSegment(s: string): string {
  let out = s.normalize('NFC').replace(ILLEGAL, '_').trim();
  out = out.replace(/[. ]+$/, '');
  if (out === '' || out === '.' || out === '..') return '';
  if (RESERVED.test(out)) out = `_${out}`;
  if (out.length > MAX_SEGMENT) out = out.slice(0, MAX_SEGMENT).replace(/[. ]+$/, '');
  return out;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;
}

function formatScale(s: number): string {
  return String(Math.round(s * 1000) / 1000);
}

function tokenValue(token: NamingToken, arg: string | undefined, ctx: NamingContext): string {
  switch (token) {
    case 'name':
      return ctx.name;
    case 'client':
      return ctx.client ?? '';
    case 'preset':
      return ctx.preset;
    case 'method':
      return ctx.method.replace(/:/g, '-');
    case 'scale':
      return formatScale(ctx.scale);
    case 'date':
      return localDate(ctx.date);
    case 'seq':
      return pad(ctx.seq, arg ? Math.min(12, Number(arg)) : 3);
    case 'w':
      return String(ctx.w);
    case 'h':
      return String(ctx.h);
  }
}

const TOKEN_RE = /\{([a-z]+)(?::(\d{1,2}))?\}/gi;
const EMPTY = '\u0000';

/** Fills the tokens; values are sanitised so a token can never add a path separator. */
export function renderTemplate(template: string, ctx: NamingContext): string {
  const filled = template.replace(TOKEN_RE, (whole, raw: string, arg: string | undefined) => {
    const token = raw.toLowerCase() as NamingToken;
    if (!(NAMING_TOKENS as readonly string[]).includes(token)) return whole;
    return tokenValue(token, arg, ctx).replace(ILLEGAL, '_') || EMPTY;
  });
  // An empty token takes one neighbouring separator with it: '{name}_{client}_{w}' -> 'a_640'.
  return filled.replace(/[_\-. ]*\u0000[_\-. ]*/g, (run, offset: number) => {
    const atEdge = offset === 0 || offset + run.length === filled.length;
    const sep = run.split(EMPTY).join('');
    return atEdge ? '' : sep.slice(0, 1);
  });
}

/** File base name (no extension) for a template. */
export function renderFileBase(template: string, ctx: NamingContext): string {
  return safeSegment(renderTemplate(template, ctx)) || safeSegment(ctx.name) || 'image';
}

/** Relative folder for a subfolder template: '/'-separated, empty and dot segments dropped. */
export function renderSubfolder(template: string, ctx: NamingContext): string {
  if (!template.trim()) return '';
  const segments = template
    .split(/[\\/]+/)
    .map((seg) => safeSegment(renderTemplate(seg, ctx)))
    .filter((seg) => seg !== '');
  return segments.join(path.sep);
}
