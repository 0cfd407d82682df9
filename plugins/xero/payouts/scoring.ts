// Match scoring for a payout charge whose sale we do not know: how well does an open invoice in Xero fit
// it? Pure. Four signals, as an accountant would weigh them (out of 100):
//   amount        40  the charge equals what is due on the invoice (20 when it pays only part of it)
//   reference     30  the invoice number appears in the charge's reference or description
//   counterparty  20  the contact's email equals the payer's (20), or the names agree (20; 10 for a partial)
//   date          10  the invoice is dated within 3 days before the charge (5 within 14 days)
// Only invoices that could take the payment are candidates (same currency, enough due). The best one posts
// itself when it reaches the threshold and no other candidate scores as high (a tie is for a person).
export interface ChargeToMatch {
  amountMinor: number;
  currency: string;
  counterpartyName: string | null;
  counterpartyEmail: string | null;
  reference: string | null;
  description: string | null;
  occurredAt: number;
}

export interface OpenInvoice {
  invoiceId: string;
  invoiceNumber: string;
  currency: string;
  /** Still due, minor units. */
  amountDueMinor: number;
  totalMinor: number;
  /** Invoice date, epoch ms (start of day UTC). */
  date: number;
  contactName: string | null;
  contactEmail: string | null;
}

export interface ScoredCandidate {
  invoiceId: string;
  invoiceNumber: string;
  contactName: string | null;
  amountDueMinor: number;
  currency: string;
  score: number;
  reasons: string[];
}

export type MatchDecision =
  | { kind: 'auto'; best: ScoredCandidate; candidates: ScoredCandidate[] }
  | { kind: 'queued'; candidates: ScoredCandidate[]; why: string };

export const DEFAULT_THRESHOLD = 85;
const DAY = 86_400_000;
/** Ranked candidates kept for the sign-off queue. */
export const MAX_CANDIDATES = 5;

const normalise = (s: string | null | undefined): string => (s ?? '').toLowerCase().normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function tokens(s: string | null | undefined): Set<string> {
  return new Set(normalise(s).split(' ').filter((t) => t.length > 1));
}

export function mentionsNumber(text: string, invoiceNumber: string): boolean {
  const number = invoiceNumber.trim().toLowerCase();
  if (!number) return false;
  const haystack = text.toLowerCase();
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(number, from);
    if (at < 0) return false;
    // A whole token: "INV-12" must not match inside "INV-123".
    const before = at === 0 ? '' : haystack[at - 1]!;
    const after = haystack[at + number.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    from = at + 1;
  }
}

export function scoreCandidate(charge: ChargeToMatch, invoice: OpenInvoice): ScoredCandidate {
  const reasons: string[] = [];
  let score = 0;
  if (invoice.amountDueMinor === charge.amountMinor) {
    score += 40;
    reasons.push('amount equals what is due');
  } else if (charge.amountMinor < invoice.amountDueMinor) {
    score += 20;
    reasons.push('pays part of what is due');
  }
  const text = `${charge.reference ?? ''} ${charge.description ?? ''}`;
  if (mentionsNumber(text, invoice.invoiceNumber)) {
    score += 30;
    reasons.push(`reference names ${invoice.invoiceNumber}`);
  }
  const email = charge.counterpartyEmail?.trim().toLowerCase();
  if (email && invoice.contactEmail && email === invoice.contactEmail.trim().toLowerCase()) {
    score += 20;
    reasons.push('payer email is the contact\'s');
  } else if (charge.counterpartyName && invoice.contactName) {
    const a = normalise(charge.counterpartyName);
    const b = normalise(invoice.contactName);
    if (a && a === b) {
      score += 20;
      reasons.push('payer name is the contact\'s');
    } else {
      const ta = tokens(a);
      const shared = [...tokens(b)].filter((t) => ta.has(t)).length;
      if (shared > 0) {
        score += 10;
        reasons.push('payer name partly matches the contact');
      }
    }
  }
  const days = (charge.occurredAt - invoice.date) / DAY;
  if (days >= -1 && days <= 3) {
    score += 10;
    reasons.push('dated within 3 days');
  } else if (days >= -1 && days <= 14) {
    score += 5;
    reasons.push('dated within 14 days');
  }
  return {
    invoiceId: invoice.invoiceId, invoiceNumber: invoice.invoiceNumber, contactName: invoice.contactName,
    amountDueMinor: invoice.amountDueMinor, currency: invoice.currency, score, reasons,
  };
}

/** Rank the invoices that could take this payment and decide: post it, or ask a person. */
export function decideMatch(charge: ChargeToMatch, invoices: readonly OpenInvoice[], threshold = DEFAULT_THRESHOLD): MatchDecision {
  const candidates = invoices
    .filter((inv) => inv.currency === charge.currency && inv.amountDueMinor >= charge.amountMinor && charge.amountMinor > 0)
    .map((inv) => scoreCandidate(charge, inv))
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.invoiceNumber.localeCompare(b.invoiceNumber))
    .slice(0, MAX_CANDIDATES);
  const [best, second] = candidates;
  if (!best) return { kind: 'queued', candidates, why: 'no open invoice could take this payment' };
  if (best.score < threshold) return { kind: 'queued', candidates, why: `best match scores ${best.score} %, below ${threshold} %` };
  if (second && second.score === best.score) return { kind: 'queued', candidates, why: `${best.invoiceNumber} and ${second.invoiceNumber} fit equally well (${best.score} %)` };
  return { kind: 'auto', best, candidates };
}
