// Reads back the text of a PDF the host drew with pdfkit (uncompressed content streams: each run of text is
// `[<hex> kerning <hex> …] TJ`), so tests can check what a receipt says.
export function pdfText(pdf: Buffer): string[] {
  const runs: string[] = [];
  for (const match of pdf.toString('latin1').matchAll(/\[([^\]]*)\] TJ/g)) {
    runs.push([...match[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((m) => Buffer.from(m[1]!, 'hex').toString('latin1')).join(''));
  }
  return runs;
}
