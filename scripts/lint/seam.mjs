// The seam between the host and the plugins, as one rule both lint (eslint.config.js) and the boundary test
// (test/unit/plugins/boundary.test.ts) apply to every import:
//  - a plugin (plugins/<id>/**) imports from the host only server/plugins/contract and server/errors; from
//    plugins/ only its own folder and the shared provider kit; never the emulators or the install's list;
//  - the provider kit (plugins/providerKit/**) imports only the contract, errors and itself;
//  - the host (server/**) never imports plugins/ or emulators/, except server/plugins/installed.ts, the one
//    file that reads the install's plugin list (plugins/index.ts);
//  - the example host (examples/**) imports no server/ module at all (it embeds through ledgerbridge/*).
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const HOST_MODULES_FOR_PLUGINS = new Set(['server/plugins/contract', 'server/errors']);
const SHARED_PLUGIN_LIBRARIES = new Set(['providerKit']);
const INSTALL_LIST_READER = 'server/plugins/installed.ts';

/** A path relative to the repository, with `/` separators and without a .ts/.js/.mjs extension. */
const repoPath = (absolute) => relative(REPO_ROOT, absolute).split(sep).join('/');
const withoutExtension = (path) => path.replace(/\.(ts|js|mjs|cjs)$/, '').replace(/\/index$/, '');

/**
 * Why importing `specifier` from `file` (absolute) crosses the seam, or null when it does not. Package
 * imports (not starting with `.`) are the dependencies' business, except the example's use of server/.
 */
export function seamViolation(file, specifier) {
  const from = repoPath(file);
  if (!specifier.startsWith('.')) return null;
  const target = withoutExtension(repoPath(resolve(dirname(file), specifier)));
  const [fromTop, fromPlugin] = from.split('/');
  const [targetTop, targetPlugin] = target.split('/');

  if (fromTop === 'plugins' && from !== 'plugins/index.ts') {
    if (targetTop === 'server') {
      return HOST_MODULES_FOR_PLUGINS.has(target) ? null
        : `a plugin imports from the host only server/plugins/contract and server/errors, not ${target}`;
    }
    if (targetTop === 'emulators') return `a plugin never imports the emulators (${target})`;
    if (targetTop === 'plugins') {
      if (target === 'plugins') return 'a plugin never imports the install\'s plugin list (plugins/index.ts)';
      if (targetPlugin === fromPlugin) return null;
      if (SHARED_PLUGIN_LIBRARIES.has(targetPlugin)) {
        return SHARED_PLUGIN_LIBRARIES.has(fromPlugin) ? `a shared plugin library imports only itself, the contract and errors (${target})` : null;
      }
      return `a plugin never imports another plugin (${fromPlugin} → ${target})`;
    }
    if (targetTop !== fromTop) return `a plugin imports only the contract, errors and its own files, not ${target}`;
  }
  if (fromTop === 'server') {
    if (targetTop === 'emulators') return `the host never imports the emulators (${target})`;
    if (targetTop === 'plugins' && from !== INSTALL_LIST_READER) {
      return `the host reaches plugins only through ${INSTALL_LIST_READER} (the install's list), not ${target}`;
    }
  }
  if (fromTop === 'examples' && targetTop === 'server') return `the example host embeds Ledgerbridge through ledgerbridge/*, never server/ (${target})`;
  return null;
}

/** The eslint rule: every static import, re-export and dynamic import with a literal specifier. */
export const seamRule = {
  meta: { type: 'problem', docs: { description: 'the host/plugin seam (scripts/lint/seam.mjs)' }, messages: { seam: '{{why}}' }, schema: [] },
  create(context) {
    const check = (source) => {
      if (!source || typeof source.value !== 'string') return;
      const why = seamViolation(context.filename, source.value);
      if (why) context.report({ node: source, messageId: 'seam', data: { why } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source.type === 'Literal' ? node.source : null),
    };
  },
};
