import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { seamRule } from './scripts/lint/seam.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'artifacts/', 'coverage/', 'dist/'] },
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
    // Only the Xero gateway calls xero-node (plugins/xero/README.md, "Layout"; test/unit/xero/layout.test.ts);
    // the connection uses its OAuth2 identity client and its Authentication type.
    files: ['plugins/xero/**/*.ts'],
    ignores: ['plugins/xero/gateway/**', 'plugins/xero/connection/oauth1/xeroNodeAuth.ts', 'plugins/xero/connection/oauth2/xeroIdentity.ts', 'plugins/xero/connection/clientFactory.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'xero-node', message: 'Call Xero through the gateway (plugins/xero/gateway/gateway.ts): add a typed method there.' }] }],
    },
  },
  {
    // The host/plugin seam: plugins reach the host only through the contract (scripts/lint/seam.mjs).
    files: ['plugins/**/*.ts', 'server/**/*.ts', 'examples/**/*.ts'],
    plugins: { ledgerbridge: { rules: { seam: seamRule } } },
    rules: { 'ledgerbridge/seam': 'error' },
  },
);
