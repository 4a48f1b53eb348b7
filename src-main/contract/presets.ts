import { z } from 'zod';
import { method } from './define';
import { fsPath, opaque } from './paths';

// Export presets ("process recipes"): one preset = one or more deliverables written from one
// enhanced image. Stored by main in <dataDir>/presets.json, exchanged as .json files; every
// document carries `version` so older files can be migrated (see presets/migrate.ts).

export const PRESET_SCHEMA_VERSION = 2;

/** Tokens a naming or subfolder template may use. */
export const NAMING_TOKENS = ['name', 'client', 'preset', 'method', 'scale', 'date', 'seq', 'w', 'h'] as const;
export type NamingToken = (typeof NAMING_TOKENS)[number];

const TOKEN_RE = /\{([a-z]+)(?::(\d{1,2}))?\}/gi;

/** Unknown tokens in a template, e.g. ['{size}']; empty when the template is fine. */
export function unknownTokens(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(TOKEN_RE)) {
    if (!(NAMING_TOKENS as readonly string[]).includes(m[1].toLowerCase())) bad.push(m[0]);
  }
  return bad;
}

const Template = z
  .string()
  .max(240)
  .refine((t) => unknownTokens(t).length === 0, {
    message: `unknown token; use ${NAMING_TOKENS.map((t) => `{${t}}`).join(' ')}`,
  });

export const Naming = z
  .object({
    /** File name without extension, e.g. '{name}_{client}_{w}px'. */
    template: Template.refine((t) => t.trim().length > 0, 'must not be empty').default('{name}_{preset}'),
    /** Folder below the output root, '/'-separated, e.g. '{client}/{date}'; '' = the root itself. */
    subfolder: Template.default(''),
    /** An existing file is never replaced: add _2, _3... ('suffix') or leave this output out ('skip'). */
    collision: z.enum(['suffix', 'skip']).default('suffix'),
  })
  .strict();
export type Naming = z.infer<typeof Naming>;

/** 'source' = 16-bit when the original is 16-bit, else 8-bit. */
const BitDepth = z.union([z.literal(8), z.literal(16), z.literal('source')]);

export const FormatSpec = z.discriminatedUnion('format', [
  z
    .object({
      format: z.literal('jpeg'),
      quality: z.number().int().min(1).max(100).default(85),
      chromaSubsampling: z.enum(['4:2:0', '4:4:4']).default('4:2:0'),
      progressive: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      format: z.literal('png'),
      bitDepth: BitDepth.default('source'),
      compressionLevel: z.number().int().min(0).max(9).default(6),
    })
    .strict(),
  z
    .object({
      format: z.literal('webp'),
      quality: z.number().int().min(1).max(100).default(82),
      lossless: z.boolean().default(false),
      effort: z.number().int().min(0).max(6).default(4),
    })
    .strict(),
  z
    .object({
      format: z.literal('avif'),
      quality: z.number().int().min(1).max(100).default(60),
      lossless: z.boolean().default(false),
      effort: z.number().int().min(0).max(9).default(4),
    })
    .strict(),
  z
    .object({
      format: z.literal('tiff'),
      bitDepth: BitDepth.default('source'),
      compression: z.enum(['lzw', 'deflate', 'none']).default('lzw'),
    })
    .strict(),
]);
export type FormatSpec = z.infer<typeof FormatSpec>;

const Px = z.number().int().min(1).max(65535);

export const SizeSpec = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('keep') }).strict(),
  /** Longest side in pixels. */
  z.object({ mode: z.literal('longEdge'), px: Px, enlarge: z.boolean().default(false) }).strict(),
  /** Fit inside width x height, aspect kept. */
  z.object({ mode: z.literal('fit'), width: Px, height: Px, enlarge: z.boolean().default(false) }).strict(),
  z.object({ mode: z.literal('percent'), percent: z.number().min(1).max(1600) }).strict(),
  /** Physical size at a print resolution; also writes the DPI tag. Fits inside width x height. */
  z
    .object({
      mode: z.literal('print'),
      unit: z.enum(['cm', 'in']),
      width: z.number().positive().max(10_000).optional(),
      height: z.number().positive().max(10_000).optional(),
      ppi: z.number().int().min(36).max(2400),
    })
    .strict()
    .refine((s) => s.width !== undefined || s.height !== undefined, { message: 'give width, height or both', path: ['width'] }),
]);
export type SizeSpec = z.infer<typeof SizeSpec>;

/** 'keep' leaves the pixels in the source's profile and embeds that profile. */
export const ColourTarget = z.enum(['keep', 'srgb', 'display-p3', 'adobe-rgb']);
export type ColourTarget = z.infer<typeof ColourTarget>;

export const MetadataSpec = z
  .object({
    /**
     * all: every EXIF/XMP field of the original; camera-copyright: EXIF camera, exposure, date and
     * copyright fields but no GPS/location, maker notes or XMP; none: nothing from the original.
     * Orientation is always applied to the pixels and the tag reset.
     */
    mode: z.enum(['all', 'camera-copyright', 'none']).default('camera-copyright'),
    /** Written into EXIF Copyright (replacing the original's), in every mode. */
    copyright: z.string().max(500).optional(),
    /** Written into EXIF Artist, in every mode. */
    creator: z.string().max(200).optional(),
  })
  .strict();
export type MetadataSpec = z.infer<typeof MetadataSpec>;

export const SharpenSpec = z
  .object({
    target: z.enum(['none', 'screen', 'matte', 'glossy']).default('none'),
    amount: z.enum(['low', 'standard', 'high']).default('standard'),
  })
  .strict();
export type SharpenSpec = z.infer<typeof SharpenSpec>;

export const WATERMARK_POSITIONS = ['top-left', 'top', 'top-right', 'left', 'center', 'right', 'bottom-left', 'bottom', 'bottom-right'] as const;

export const WatermarkSpec = z
  .object({
    enabled: z.boolean().default(false),
    kind: z.enum(['text', 'image']).default('text'),
    text: z.string().max(200).optional(),
    /** PNG/WebP/... with alpha; absolute path. */
    imagePath: fsPath(z.string().max(4096)).optional(),
    position: z.enum(WATERMARK_POSITIONS).default('bottom-right'),
    /** Watermark width as a fraction of the output width. */
    scale: z.number().min(0.01).max(1).default(0.2),
    opacity: z.number().min(0).max(1).default(0.5),
    /** Distance from the edges as a fraction of the shorter side. */
    margin: z.number().min(0).max(0.25).default(0.02),
    /** Text colour. */
    color: z
      .string()
      .regex(/^#[0-9a-f]{6}$/i, 'a colour like #ffffff')
      .default('#ffffff'),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (!w.enabled) return;
    if (w.kind === 'text' && !w.text?.trim()) ctx.addIssue({ code: 'custom', message: 'a text watermark needs text', path: ['text'] });
    if (w.kind === 'image' && !w.imagePath) ctx.addIssue({ code: 'custom', message: 'an image watermark needs imagePath', path: ['imagePath'] });
  });
export type WatermarkSpec = z.infer<typeof WatermarkSpec>;

export const ImageOutput = z
  .object({
    kind: z.literal('image'),
    /** Short label shown in lists, e.g. 'web'. */
    label: z.string().max(80).optional(),
    format: FormatSpec,
    size: SizeSpec.default({ mode: 'keep' }),
    colour: ColourTarget.default('srgb'),
    metadata: MetadataSpec.default({ mode: 'camera-copyright' }),
    sharpen: SharpenSpec.default({ target: 'none', amount: 'standard' }),
    watermark: WatermarkSpec.default({
      enabled: false,
      kind: 'text',
      position: 'bottom-right',
      scale: 0.2,
      opacity: 0.5,
      margin: 0.02,
      color: '#ffffff',
    }),
    /** DPI tag when size is not 'print' (print sets its own); default: the original's. */
    ppi: z.number().int().min(1).max(10_000).optional(),
    naming: Naming.default({ template: '{name}_{preset}', subfolder: '', collision: 'suffix' }),
  })
  .strict();
export type ImageOutput = z.infer<typeof ImageOutput>;

/** Provenance record of the run: source hash, method, model, settings, backend, date, AI flag. */
export const SidecarOutput = z
  .object({
    kind: z.literal('sidecar'),
    label: z.string().max(80).optional(),
    /** One JSON file describing the run and every image it wrote. */
    json: z.boolean().default(true),
    /** Also an .xmp file beside each image (same base name), readable by photo managers. */
    xmp: z.boolean().default(false),
    naming: Naming.default({ template: '{name}_{preset}_provenance', subfolder: '', collision: 'suffix' }),
  })
  .strict()
  .refine((s) => s.json || s.xmp, { message: 'a sidecar needs json, xmp or both', path: ['json'] });
export type SidecarOutput = z.infer<typeof SidecarOutput>;

export const PresetOutput = z.discriminatedUnion('kind', [ImageOutput, SidecarOutput]);
export type PresetOutput = z.infer<typeof PresetOutput>;

export const PresetId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits and . _ - (e.g. client-web-2048)');

export const Preset = z
  .object({
    version: z.literal(PRESET_SCHEMA_VERSION),
    id: PresetId,
    name: z.string().trim().min(1).max(120),
    client: z.string().max(120).optional(),
    description: z.string().max(1000).optional(),
    outputs: z.array(PresetOutput).min(1).max(16),
  })
  .strict()
  .refine((p) => p.outputs.some((o) => o.kind === 'image'), { message: 'a preset needs at least one image output', path: ['outputs'] });
export type Preset = z.infer<typeof Preset>;
/** What a caller may send: defaults filled in by the schema. */
export type PresetInput = z.input<typeof Preset>;

export const PresetSummary = z.object({
  id: z.string(),
  name: z.string(),
  client: z.string().optional(),
  description: z.string().optional(),
  builtin: z.boolean(),
  /** One short line per output, e.g. 'JPEG q85, long edge at most 2048 px, sRGB'. */
  outputs: z.array(z.string()),
});
export type PresetSummary = z.infer<typeof PresetSummary>;

/** A .json file's text (one preset, or { presets: [...] }); generous for bundles, bounded all the same. */
const JsonText = opaque(z.string().min(2).max(2_000_000));

export const presetsApi = {
  'presets.list': method(z.tuple([]), z.array(PresetSummary)),
  'presets.get': method(z.tuple([PresetId]), Preset),
  /** Create or replace a user preset (built-ins are read-only). Older versions are migrated. */
  'presets.save': method(z.tuple([opaque(z.unknown())]), Preset),
  'presets.delete': method(z.tuple([PresetId]), z.boolean()),
  /** Imports every preset of a .json text; all or nothing. Clashing ids get a suffix. */
  'presets.import': method(z.tuple([JsonText]), z.array(Preset)),
  /** The given presets (default: all user presets) as .json text. */
  'presets.export': method(z.tuple([z.array(PresetId).max(500).optional()]), z.string()),
};
