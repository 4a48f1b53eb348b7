// Provenance sidecars: what was made from what, how, and whether a learned model was involved.
// JSON for programs; XMP (same base name as the image) for photo managers such as Lightroom.
import path from 'node:path';

export const PROVENANCE_SCHEMA = 'loupe-studio/provenance@1';
export const PROVENANCE_NS = 'http://ns.loupe.studio/provenance/1.0/';
// IPTC Digital Source Type for media modified by an algorithm (a learned model, here).
const IPTC_ALGORITHMICALLY_ENHANCED = 'http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicallyEnhanced';

export interface ProvenanceOutput {
  path: string;
  sha256: string;
  format: string;
  width: number;
  height: number;
  bitDepth: 8 | 16;
  ppi?: number;
  profile?: string;
  metadata: string;
  label?: string;
}

export interface Provenance {
  source: {
    path: string;
    name: string;
    sha256?: string;
    width: number;
    height: number;
    format: string;
    bitDepth: 8 | 16;
    profile?: string;
  };
  method: string;
  model?: string;
  aiEnhanced: boolean;
  scale: number;
  backend?: string;
  settings?: Record<string, unknown>;
  preset: { id: string; name: string; client?: string };
  date: Date;
  copyright?: string;
  creator?: string;
}

/** JSON sidecar text; output paths are relative to the sidecar's folder. */
export function provenanceJson(p: Provenance, outputs: ProvenanceOutput[], sidecarDir: string, warnings: string[] = []): string {
  const rel = (f: string) => path.relative(sidecarDir, f).split(path.sep).join('/');
  const doc = {
    schema: PROVENANCE_SCHEMA,
    software: 'Loupe Studio',
    createdAt: p.date.toISOString(),
    aiEnhanced: p.aiEnhanced,
    source: p.source,
    processing: {
      method: p.method,
      model: p.model ?? null,
      scale: p.scale,
      backend: p.backend ?? null,
      settings: p.settings ?? {},
    },
    preset: p.preset,
    outputs: outputs.map((o) => ({ ...o, path: rel(o.path) })),
    ...(warnings.length ? { warnings } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** XMP sidecar for one image. */
export function provenanceXmp(p: Provenance, out: ProvenanceOutput): string {
  const attrs: [string, string][] = [
    ['xmp:CreatorTool', 'Loupe Studio'],
    ['xmp:CreateDate', p.date.toISOString()],
    ['xmpMM:DocumentID', `sha256:${out.sha256}`],
    ['loupe:AIEnhanced', p.aiEnhanced ? 'True' : 'False'],
    ['loupe:Method', p.method],
    ['loupe:Scale', String(p.scale)],
    ['loupe:SourceFile', p.source.name],
    ['loupe:Preset', p.preset.name],
  ];
  if (p.model) attrs.push(['loupe:Model', p.model]);
  if (p.backend) attrs.push(['loupe:Backend', p.backend]);
  if (p.source.sha256) attrs.push(['loupe:SourceSHA256', p.source.sha256]);
  if (p.settings && Object.keys(p.settings).length) attrs.push(['loupe:Settings', JSON.stringify(p.settings)]);
  if (p.aiEnhanced) attrs.push(['Iptc4xmpExt:DigitalSourceType', IPTC_ALGORITHMICALLY_ENHANCED]);
  const body: string[] = [];
  if (p.copyright) body.push(`   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">${esc(p.copyright)}</rdf:li></rdf:Alt></dc:rights>`);
  if (p.creator) body.push(`   <dc:creator><rdf:Seq><rdf:li>${esc(p.creator)}</rdf:li></rdf:Seq></dc:creator>`);
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about=""',
    '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
    '    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"',
    '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"',
    `    xmlns:loupe="${PROVENANCE_NS}"`,
    ...attrs.map(([k, v]) => `    ${k}="${esc(v)}"`),
    body.length ? '   >' : '   />',
    ...(body.length ? [...body, '  </rdf:Description>'] : []),
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
    '',
  ].join('\n');
}
