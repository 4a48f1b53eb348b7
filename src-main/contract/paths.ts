import { z } from 'zod';

// File-system paths in the contract are marked schemas, so a front door that must confine paths
// (the HTTP server) finds every one by walking a method's argument schema, never by guessing
// from key names. `opaque` marks payloads whose shape the contract leaves to a domain (a preset
// document checked by presets/, passed as an object or as .json text): those are scanned whole.

const PATHS = new WeakSet<z.ZodType>();
const OPAQUE = new WeakSet<z.ZodType>();

/** Marks a string schema as a file-system path. */
export function fsPath<S extends z.ZodType<string>>(schema: S): S {
  PATHS.add(schema);
  return schema;
}

/** Marks a schema whose value may hold paths the contract does not describe (scanned whole). */
export function opaque<S extends z.ZodType>(schema: S): S {
  OPAQUE.add(schema);
  return schema;
}

export function isPathSchema(s: z.ZodType): boolean {
  return PATHS.has(s);
}

export function isOpaqueSchema(s: z.ZodType): boolean {
  return OPAQUE.has(s);
}

/** An absolute file or folder path as calls carry it. */
export const FilePath = fsPath(z.string().min(1).max(4096));
