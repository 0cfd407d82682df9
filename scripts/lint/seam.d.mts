import type { Rule } from 'eslint';

export const REPO_ROOT: string;
/** Why importing `specifier` from `file` (absolute path) crosses the host/plugin seam, or null. */
export function seamViolation(file: string, specifier: string): string | null;
export const seamRule: Rule.RuleModule;
