// The error summary at the top of a page whose form was refused (GOV.UK's error-summary pattern): one link per
// problem, to the field it is about, each naming the field by its label. The layout builds it from the page it
// is about to show, so every form that follows the one convention gets it without code of its own:
//   - a field's message is `<p class="field-error" id="<input id>-error">message</p>` (partials/field-error),
//   - the field has `<label for="<input id>">` (or an aria-label), which names it in the summary; a message
//     about a group links to the group's legend (`<legend id>`) or an element with `data-error-name`.
// A page can also name problems that belong to no single field (a test connection Xero refused) through the
// `errorSummary` local: `[{ text, href }]`, shown first.

export interface ErrorSummaryItem {
  /** What is wrong, naming the field ("Consumer key: must be 30 characters"). */
  text: string;
  /** Where to fix it: `#<id of the field>`. */
  href: string;
}

const FIELD_ERROR = /<p\b[^>]*\bclass="field-error"[^>]*\bid="([^"]+)-error"[^>]*>([\s\S]*?)<\/p>/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#34;': '"' };

/** Text of a bit of our own escaped markup: tags dropped, the entities EJS writes turned back into characters. */
function textOf(html: string): string {
  return html
    .replace(/<span\b[^>]*\bclass="optional"[^>]*>[\s\S]*?<\/span>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|#34);/g, (e) => ENTITIES[e] ?? e)
    .replace(/\s+/g, ' ')
    .trim();
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The field's name as the page shows it: its label, else its aria-label; '' when it has neither. */
function labelOf(html: string, id: string): string {
  const label = new RegExp(`<label\\b[^>]*\\bfor="${escapeRegExp(id)}"[^>]*>([\\s\\S]*?)</label>`).exec(html);
  if (label) return textOf(label[1]!).replace(/:$/, '');
  const aria = new RegExp(`<[a-z]+\\b[^>]*\\bid="${escapeRegExp(id)}"[^>]*\\baria-label="([^"]*)"`).exec(html)
    ?? new RegExp(`<[a-z]+\\b[^>]*\\baria-label="([^"]*)"[^>]*\\bid="${escapeRegExp(id)}"`).exec(html);
  if (aria) return textOf(aria[1]!);
  // A group (a fieldset's legend, a table row) names itself for the summary with data-error-name.
  const named = new RegExp(`<[a-z]+\\b[^>]*\\bid="${escapeRegExp(id)}"[^>]*\\bdata-error-name="([^"]*)"`).exec(html);
  if (named) return textOf(named[1]!);
  const legend = new RegExp(`<legend\\b[^>]*\\bid="${escapeRegExp(id)}"[^>]*>([\\s\\S]*?)</legend>`).exec(html);
  return legend ? textOf(legend[1]!) : '';
}

/** Every field message on the page, in page order, each linked to its field and named by its label. */
export function fieldErrorsOf(pageHtml: string): ErrorSummaryItem[] {
  const items: ErrorSummaryItem[] = [];
  for (const m of pageHtml.matchAll(FIELD_ERROR)) {
    const id = m[1]!;
    const message = textOf(m[2]!);
    if (!message) continue;
    const label = labelOf(pageHtml, id);
    items.push({ href: `#${id}`, text: label ? `${label}: ${message}` : message });
  }
  return items;
}

/** The page's own problems first, then one per field message. Empty: no summary. */
export function errorSummaryOf(pageHtml: string, extra: unknown): ErrorSummaryItem[] {
  const own = Array.isArray(extra)
    ? extra.filter((i): i is ErrorSummaryItem => typeof i?.text === 'string' && typeof i?.href === 'string')
    : [];
  return [...own, ...fieldErrorsOf(pageHtml)];
}
