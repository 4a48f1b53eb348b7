import tseslint from 'typescript-eslint';
import svelteParser from 'svelte-eslint-parser';
import layering from './eslint-rules/layering.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'release/', '.tsbuild/', 'tests/artifacts/'] },
  ...tseslint.configs.recommended,
  {
    plugins: { local: layering },
    rules: {
      'local/layering': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Svelte components: their <script lang="ts"> is linted like any module (layering included);
    // the markup is svelte-check's (npm test runs it).
    files: ['**/*.svelte'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // `let { x } = $props()` and `$state` reassignments read as unused/const to plain TS rules.
      '@typescript-eslint/no-unused-vars': 'off',
      'prefer-const': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
