// Layering rule: which folder of src-main may import which (docs/architecture.md draws it), and
// which npm packages each folder may load. Every import form is seen (import, export ... from,
// import(), require()); a relative import is resolved against the importing file, so a folder or
// its index file (a barrel) counts as the folder's layer. The renderer may import only contract/.
import path from 'node:path';

/** layer -> layers it may import (besides itself). */
export const LAYERS = {
  base: [],
  contract: ['base'],
  metadata: ['base', 'contract'],
  metrics: ['base', 'contract'],
  imaging: ['base', 'contract', 'metadata'],
  engine: ['base', 'contract', 'metrics'],
  cache: ['base', 'contract', 'engine'],
  presets: ['base', 'contract', 'imaging', 'metadata'],
  jobs: ['base', 'contract'],
  worker: ['base', 'contract', 'engine', 'imaging', 'metadata', 'metrics', 'cache', 'presets', 'jobs'],
  watch: ['base', 'contract', 'jobs', 'imaging'],
  service: ['base', 'contract', 'jobs', 'watch', 'presets', 'cache', 'imaging', 'engine', 'metrics', 'worker'],
  server: ['base', 'contract', 'service', 'imaging', 'jobs'],
  cli: ['base', 'contract', 'service', 'jobs', 'worker', 'imaging', 'engine', 'metrics', 'presets', 'cache', 'watch', 'server'],
  ipc: ['base', 'contract', 'service'],
  preload: ['base', 'contract'],
  app: ['base', 'contract', 'service', 'ipc', 'jobs', 'worker', 'imaging', 'presets', 'cache', 'watch'],
};

/**
 * npm packages that only some layers may load (anything else is free). Keys ending in '/' are
 * scopes. `files` lists single files allowed besides, each with the reason.
 */
export const PACKAGES = {
  sharp: { layers: ['imaging'] },
  chokidar: { layers: ['watch'] },
  '@tensorflow/': { layers: ['engine'] },
  electron: { layers: ['app', 'ipc', 'preload'] },
  'exiftool-vendored': { layers: ['metadata'] },
};

function layerOf(file, root) {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'src-renderer') return 'renderer';
  if (rel[0] === 'src-main' && rel.length >= 2) {
    const name = rel[1].replace(/\.[cm]?[jt]s$/, '');
    return rel.length === 2 && !(name in LAYERS) ? null : name;
  }
  return null;
}

function packageRule(spec) {
  for (const [name, rule] of Object.entries(PACKAGES)) {
    if (name.endsWith('/') ? spec.startsWith(name) : spec === name || spec.startsWith(`${name}/`)) return [name, rule];
  }
  return undefined;
}

export default {
  rules: {
    layering: {
      meta: {
        type: 'problem',
        schema: [],
        messages: {
          bad: '{{from}}/ must not import {{to}} ({{spec}}): see the layering table in eslint-rules/layering.js',
          pkg: '{{from}}/ must not load the package {{spec}} (only {{allowed}}): see PACKAGES in eslint-rules/layering.js',
        },
      },
      create(context) {
        const file = context.physicalFilename ?? context.filename;
        const root = context.cwd;
        const from = layerOf(file, root);
        if (!from) return {};
        const relFile = path.relative(root, file).split(path.sep).join('/');
        function check(node, spec) {
          if (typeof spec !== 'string') return;
          if (!spec.startsWith('.')) {
            if (spec.startsWith('node:')) return;
            const hit = packageRule(spec);
            if (!hit) return;
            const [name, rule] = hit;
            if (rule.layers.includes(from) || rule.files?.[relFile]) return;
            context.report({ node, messageId: 'pkg', data: { from, spec, allowed: rule.layers.map((l) => `${l}/`).join(', ') || name } });
            return;
          }
          const target = layerOf(path.resolve(path.dirname(file), spec), root);
          if (!target || target === from) {
            // The renderer reaching into src-main other than contract/ is still a breach.
            if (from === 'renderer' && !target && path.resolve(path.dirname(file), spec).includes(`${path.sep}src-main`)) {
              context.report({ node, messageId: 'bad', data: { from, to: 'src-main', spec } });
            }
            return;
          }
          const ok = from === 'renderer' ? target === 'contract' : (LAYERS[from] ?? []).includes(target);
          if (!ok) context.report({ node, messageId: 'bad', data: { from, to: target, spec } });
        }
        const literal = (n) => (n && n.type === 'Literal' ? n.value : n && n.type === 'TemplateLiteral' && n.expressions.length === 0 ? n.quasis[0].value.cooked : undefined);
        return {
          ImportDeclaration(node) {
            check(node, node.source.value);
          },
          ExportNamedDeclaration(node) {
            if (node.source) check(node, node.source.value);
          },
          ExportAllDeclaration(node) {
            check(node, node.source.value);
          },
          ImportExpression(node) {
            check(node, literal(node.source));
          },
          CallExpression(node) {
            const callee = node.callee;
            const isRequire = callee.type === 'Identifier' && callee.name === 'require';
            const isResolve = callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'require' && callee.property.name === 'resolve';
            if ((isRequire || isResolve) && node.arguments.length > 0) check(node, literal(node.arguments[0]));
          },
          TSImportType(node) {
            // typescript-eslint 8.x: `source`; older: `argument` (a TSLiteralType).
            const arg = 'source' in node ? node.source : node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument;
            check(node, literal(arg));
          },
        };
      },
    },
  },
};
