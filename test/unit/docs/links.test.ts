// The README, the reader guides in docs/ and the folders' own READMEs link to each other, to sections of
// each other and to files in the repository. Moving a section or renaming a file silently breaks such
// links; this reads every relative link (and its #anchor) in every markdown file of the repository and
// checks it still lands somewhere.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The README is the door: what it is, the demo, run, test, embed. Everything else belongs in docs/. */
const README_MAX_LINES = 150;

/** Not ours, or not sources: installed packages, git, run-time data, test artifacts and the build's output. */
const SKIPPED_DIRS = new Set(['node_modules', 'data', 'artifacts', 'dist']);

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const markdownFiles = markdownUnder(ROOT);

/** The lines outside fenced code blocks (a `# comment` in a shell block is no heading, a `[x](y)` no link). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = match[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  file: string;
  target: string;
}

function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      links.push({ file, target });
    }
  }
  return links;
}

function brokenReason({ file, target }: Link): string | null {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const destination = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
  if (!destination.startsWith(ROOT)) return 'points outside the repository';
  if (!existsSync(destination)) return 'no such file';
  if (anchor === undefined) return null;
  if (statSync(destination).isDirectory() || !destination.endsWith('.md')) return 'an anchor into something that is not a markdown file';
  return headingAnchors(readFileSync(destination, 'utf8')).has(anchor) ? null : `no heading with the anchor #${anchor}`;
}

describe('markdown links (README, docs/, the folders\' READMEs)', () => {
  it('finds the guides and their links (the check below is not vacuous)', () => {
    const names = markdownFiles.map((f) => relative(ROOT, f));
    for (const guide of ['admins', 'staff', 'accountants', 'operators', 'integrators', 'architecture', 'benchmarks']) {
      assert.ok(names.includes(`docs/${guide}.md`), `docs/${guide}.md exists`);
    }
    assert.ok(names.includes('README.md') && names.includes('plugins/xero/README.md'), 'reads the README and the folders\' READMEs');
    assert.ok(relativeLinks(join(ROOT, 'README.md')).length >= 7, 'the README links to every guide');
  });

  it('every relative link and #anchor resolves', () => {
    const broken = markdownFiles
      .flatMap(relativeLinks)
      .map((link) => ({ link, reason: brokenReason(link) }))
      .filter((b) => b.reason !== null)
      .map(({ link, reason }) => `${relative(ROOT, link.file)}: (${link.target}) ${reason}`);
    assert.deepEqual(broken, []);
  });

  it(`the README stays a door: at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move the detail to the reader's guide in docs/`);
  });

  it("computes GitHub's anchors, ignoring headings inside code blocks", () => {
    const anchors = headingAnchors('# For admins: connecting Xero\n## The JSON API (/api/v1)\n## Notes\n## Notes\n```sh\n# not a heading\n```\n');
    assert.deepEqual([...anchors], ['for-admins-connecting-xero', 'the-json-api-apiv1', 'notes', 'notes-1']);
  });
});
