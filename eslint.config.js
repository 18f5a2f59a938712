import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'child_process', 'crypto', 'os', 'net', 'http', 'https'];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', 'coverage', 'test-results', 'playwright-report'] },
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
      'src-server/**',
      'src-engine/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Services and shared code run without Electron.' }] },
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
