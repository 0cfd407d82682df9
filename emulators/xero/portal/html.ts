// Tiny server-side HTML helpers for the developer portal and the login/consent pages: escaping and
// one shared layout with minimal CSS. Plain forms only, so a browser test can drive them by label.

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Template tag that escapes every interpolation unless it is already Html. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;background:#f5f7fa;color:#1e2a38}
header{background:#005f8f;color:#fff;padding:.8rem 1.5rem;font-weight:600}
header a{color:#fff;text-decoration:none}
main{max-width:46rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0002}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input[type=text],input[type=email],input[type=password],input[type=url],select,textarea{width:100%;padding:.45rem;box-sizing:border-box;font:inherit}
textarea{min-height:6rem;font-family:monospace}
fieldset{border:1px solid #ccd;margin:1rem 0;padding:.6rem 1rem}
fieldset label{display:inline;font-weight:400;margin-left:.3rem}
.check{margin:.35rem 0}
button{margin-top:1.2rem;padding:.55rem 1.2rem;font:inherit;border:0;border-radius:4px;background:#005f8f;color:#fff;cursor:pointer}
button.secondary{background:#4f5b69}
.error{background:#fdecea;color:#8a1c12;padding:.6rem .9rem;border-radius:4px}
code,.secret{font-family:monospace;background:#eef2f6;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%}.table-scroll{overflow-x:auto;max-width:100%}td,th{border-bottom:1px solid #e3e8ee;padding:.4rem;text-align:left}
`;

export function page(title: string, body: Html, opts: { heading?: string } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="icon" href="data:,"><style>${new Html(STYLE)}</style></head>
<body>
<header><a href="/portal">Xero emulator</a> · ${opts.heading ?? 'Developer'}</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}

export function errorBox(message: string | undefined): Html {
  return message ? html`<p class="error" role="alert" id="error">${message}</p>` : html``;
}
