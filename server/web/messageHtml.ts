// A message a person reads on a page (a failure, a note) may name a page of this app by its path, as in
// "Set it on the Xero settings page (/plugins/xero/settings), then retry." The CSV and the CLI keep that text;
// a page links the path. Only the app's own known paths become links (never whatever looks like a URL in
// text Xero or a customer wrote), and everything else is escaped.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

// A path-like run: starts with "/" at the start or after a space or "(", and runs to a space, ")", or a
// trailing ".", ",", ";" or ":" (punctuation of the sentence, not of the path).
const PATH_IN_TEXT = /(?<=^|[\s(])\/[A-Za-z0-9\-_/]*[A-Za-z0-9\-_]/g;

/** The message as HTML: each known in-app path linked to itself, everything else escaped. */
export function messageHtml(text: string | null | undefined, knownPaths: ReadonlySet<string>): string {
  if (!text) return '';
  let html = '';
  let at = 0;
  for (const match of text.matchAll(PATH_IN_TEXT)) {
    if (!knownPaths.has(match[0])) continue;
    html += escapeHtml(text.slice(at, match.index));
    html += `<a href="${escapeHtml(match[0])}">${escapeHtml(match[0])}</a>`;
    at = match.index + match[0].length;
  }
  return html + escapeHtml(text.slice(at));
}

/** The paths a message may link: the pages in the navigation, except the bare root (a "/" in a sentence is no link). */
export function linkablePaths(hrefs: readonly string[]): ReadonlySet<string> {
  return new Set(hrefs.filter((href) => /^\/[A-Za-z0-9]/.test(href)));
}
