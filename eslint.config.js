import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The src/ folders from the bottom up: a folder imports only folders before it, so the folder
 * graph has no cycle (test/architecture/folder-graph.test.ts checks the graph itself; print it
 * with `node bin/run-ts.js scripts/folder-graph.ts`). A new edge that goes up the list means the
 * piece belongs lower; move it there rather than reordering.
 */
const LAYERS = [
  'errors',
  'config',
  'telemetry',
  'redis',
  'store',
  'auth',
  'blobs',
  'cache',
  'events',
  'providers',
  'search',
  'kb',
  'governor',
  'limits',
  'orchestrator',
  'jobs',
  'backup',
  'keel',
  'mcp',
  'api',
  'cli',
];

// keel.ts and errors.ts sit directly in src/: the composition root and the base error.
const ROOT_FILES = ['errors', 'keel'];
const importPattern = (layer) => (ROOT_FILES.includes(layer) ? `**/${layer}.js` : `**/${layer}/*`);
const layerRules = LAYERS.map((layer, index) => ({
  files: [ROOT_FILES.includes(layer) ? `src/${layer}.ts` : `src/${layer}/**`],
  // Tests may compose a whole Keel; the graph is the one of the code that ships.
  ignores: ['src/**/*.test.ts'],
  rules: {
    'no-restricted-imports':
      index === LAYERS.length - 1
        ? 'off'
        : [
            'error',
            {
              patterns: [
                {
                  group: LAYERS.slice(index + 1).map(importPattern),
                  message: `src/${layer} imports only the folders listed before it in eslint.config.js LAYERS.`,
                },
              ],
            },
          ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'bench/results', 'web/dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/*', '**/cli/*'],
              message: 'Domain modules never import api or cli; entry points compose them.',
            },
          ],
        },
      ],
    },
  },
  ...layerRules,
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The web app is a separate browser program (own tsconfig); its `api/` folder is its client.
    files: ['web/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
