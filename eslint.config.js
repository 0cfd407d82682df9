import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { seamRule } from './scripts/lint/seam.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'artifacts/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The second host proves the seam: it reaches Ledgerbridge only through the package's entries
    // (ledgerbridge/embed, ledgerbridge/contract, ledgerbridge/plugins/*), never through the repository's folders.
    files: ['examples/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+(server|plugins|emulators|scripts|test)(/|$)',
          message: 'An example host imports Ledgerbridge by its package entries only: ledgerbridge/embed, ledgerbridge/contract, ledgerbridge/plugins/<id>.',
        }],
      }],
    },
  },
  {
    // The host/plugin seam: plugins reach the host only through the contract (scripts/lint/seam.mjs).
    files: ['plugins/**/*.ts', 'server/**/*.ts', 'examples/**/*.ts'],
    plugins: { ledgerbridge: { rules: { seam: seamRule } } },
    rules: { 'ledgerbridge/seam': 'error' },
  },
);
