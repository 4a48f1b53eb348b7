// Layering rule: which folder of src-main may import which (see ARCHITECTURE.md).
// Resolves each relative import against the importing file and checks the target's layer;
// `electron` is allowed only in app/, ipc/ and preload/; the renderer may import only contract/.
import path from 'node:path';

/** layer -> layers it may import (besides itself). */
export const LAYERS = {
  base: [],
  contract: ['base'],
  metrics: ['base', 'contract'],
  imaging: ['base', 'contract'],
  engine: ['base', 'contract', 'metrics'],
  cache: ['base', 'contract', 'engine'],
  presets: ['base', 'contract', 'imaging'],
  jobs: ['base', 'contract'],
  worker: ['base', 'contract', 'engine', 'imaging', 'metrics', 'cache', 'presets', 'jobs'],
  watch: ['base', 'contract', 'jobs', 'imaging'],
  service: ['base', 'contract', 'jobs', 'watch', 'presets', 'cache', 'imaging', 'engine', 'metrics', 'worker'],
  server: ['base', 'contract', 'service', 'imaging', 'jobs'],
  cli: ['base', 'contract', 'service', 'jobs', 'worker', 'imaging', 'engine', 'metrics', 'presets', 'cache', 'watch', 'server'],
  ipc: ['base', 'contract', 'service'],
  preload: ['base', 'contract'],
  app: ['base', 'contract', 'service', 'ipc', 'jobs', 'worker', 'imaging', 'presets', 'cache', 'watch'],
};
const ELECTRON_OK = new Set(['app', 'ipc', 'preload']);

function layerOf(file, root) {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'src-renderer') return 'renderer';
  if (rel[0] === 'src-main' && rel.length > 2) return rel[1];
  return null;
}

export default {
  rules: {
    layering: {
      meta: { type: 'problem', schema: [], messages: { bad: '{{from}}/ must not import {{to}} ({{spec}}): see the layering table in eslint-rules/layering.js' } },
      create(context) {
        const file = context.physicalFilename ?? context.filename;
        const root = context.cwd;
        const from = layerOf(file, root);
        if (!from) return {};
        function check(node, spec) {
          if (typeof spec !== 'string') return;
          if (spec === 'electron' || spec.startsWith('electron/')) {
            if (!ELECTRON_OK.has(from)) context.report({ node, messageId: 'bad', data: { from, to: 'electron', spec } });
            return;
          }
          if (!spec.startsWith('.')) return;
          const target = layerOf(path.resolve(path.dirname(file), spec), root);
          if (!target || target === from) return;
          const ok = from === 'renderer' ? target === 'contract' : (LAYERS[from] ?? []).includes(target);
          if (!ok) context.report({ node, messageId: 'bad', data: { from, to: target, spec } });
        }
        return {
          ImportDeclaration(node) { check(node, node.source.value); },
          ExportNamedDeclaration(node) { if (node.source) check(node, node.source.value); },
          ExportAllDeclaration(node) { check(node, node.source.value); },
          ImportExpression(node) { if (node.source.type === 'Literal') check(node, node.source.value); },
        };
      },
    },
  },
};
