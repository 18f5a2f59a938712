import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'child_process', 'crypto', 'os', 'net', 'http', 'https'];

// The engine's folders are layers: cli -> backup, restore, maintenance, query -> repository -> storage, fs.
// An import may only run down (errors.ts, beside index.ts, is below them all). `index.ts` is the public API,
// for the app and the tests, never for the engine's own folders.
const noElectron = { name: 'electron', message: 'Services and shared code run without Electron.' };
const engineImportsBelow = (folders, layer) => [
  'error',
  {
    paths: [noElectron],
    patterns: [
      {
        regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`,
        message: `${layer} may not import from ${folders.join('/, ')}/, a layer above; move what it needs down.`,
      },
      {
        regex: '^\\.\\.(/\\.\\.)*/?(index(\\.ts)?)?$',
        message: "The engine's folders import modules, not the public API in src-engine/index.ts.",
      },
    ],
  },
];

export default tseslint.config(
  {
    ignores: ['node_modules', 'dist', 'out', 'coverage', 'test-results', 'playwright-report', 'native/build'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // Process boundaries are lint errors: the folder says which process code runs in.
  {
    files: [
      'src-shared/**',
      'src-main/services/**',
      'src-main/job-process/**',
      'src-main/catalogue/**',
      'src-server/**',
      'src-engine/**',
    ],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron] }],
    },
  },
  {
    files: ['src-engine/repository/**'],
    rules: {
      'no-restricted-imports': engineImportsBelow(
        ['backup', 'restore', 'maintenance', 'query', 'cli'],
        'repository/',
      ),
    },
  },
  {
    files: ['src-engine/storage/**', 'src-engine/fs/**'],
    rules: {
      'no-restricted-imports': engineImportsBelow(
        ['repository', 'backup', 'restore', 'maintenance', 'query', 'cli'],
        'storage/ and fs/',
      ),
    },
  },
  {
    files: [
      'src-engine/backup/**',
      'src-engine/restore/**',
      'src-engine/maintenance/**',
      'src-engine/query/**',
    ],
    rules: {
      'no-restricted-imports': engineImportsBelow(['cli'], 'backup/, restore/, maintenance/ and query/'),
    },
  },
  {
    files: ['src-engine/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            // src-shared's contracts (the error codes) are not the engine, and import none of it.
            {
              regex: '^\\.(?!\\./src-shared/)',
              message: 'errors.ts is the bottom of the engine: it imports none of it.',
            },
          ],
        },
      ],
    },
  },
  // The job process is its own process: what it shares with main lives in src-shared (contracts) or
  // in a room of its own (src-main/catalogue), never in main's services or adapters.
  {
    files: ['src-main/job-process/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            {
              regex: '^(\\.\\./)+(src-main/)?(services|adapters)(/|$)',
              message:
                "The job process imports nothing from main's services or adapters: move what both need to src-shared.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to main through window.api only.' }],
          patterns: [
            { group: nodeBuiltins, message: 'The renderer runs in a browser sandbox.' },
            {
              group: ['**/src-main/**', '**/src-server/**', '**/src-engine/**'],
              message: 'Cross the process boundary through the contract.',
            },
          ],
        },
      ],
    },
  },
);
