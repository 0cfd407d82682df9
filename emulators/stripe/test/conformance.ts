/* eslint-disable @typescript-eslint/no-explicit-any -- answers are arbitrary JSON walked generically */
// Conformance of the Stripe emulator to Stripe's published contract (spec3.json, API 2023-08-16): every
// answer the emulator sends in a test is checked here (StripeConformance.answer, wired to the emulator's
// onAnswer hook by test/harness.ts, whose close() throws with every problem). An answer conforms when
//  - its call is an operation of Stripe's document (method + path template) and a 2xx body validates
//    against that operation's 200 schema; any error body validates against Stripe's `error` schema;
//  - 2xx answers say the implemented version in Stripe-Version, which is the document's version;
//  - expandable fields are ids unless the request's expand[] named them, and includable fields (a charge's
//    `refunds`, a customer's `sources`…) are absent unless expand[] named them;
//  - an event's data.object validates as the component its `object` names (events also come from onEvent).
// A new field or endpoint in the emulator therefore cannot pass a test unless Stripe's document has it.
import { IMPLEMENTED_STRIPE_VERSION } from '../version';
import type { StripeAnswer } from '../app';
import { componentErrors, expansionFields, hasComponent, specOperation, specVersion, successErrors } from './spec';

/** Fields Stripe leaves out of an object unless expand[] names them (in 2023-08-16). */
const INCLUDABLE: Record<string, readonly string[]> = {
  charge: ['refunds'],
  customer: ['sources', 'subscriptions', 'tax_ids', 'cash_balance', 'invoice_credit_balance', 'tax'],
};

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

function expandList(params: Record<string, unknown>): Set<string> {
  const raw = params.expand;
  const list = Array.isArray(raw) ? raw : isObject(raw) ? Object.values(raw) : typeof raw === 'string' ? [raw] : [];
  return new Set(list.map(String));
}

/**
 * Problems with the expansion of `node` (at `at`, dotted from the answer's root; list items keep `data`):
 * expandable ids expanded unasked, includable fields present unasked. Walks every nested object.
 */
function expansionProblems(node: unknown, at: string[], expanded: Set<string>, out: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) expansionProblems(item, at, expanded, out);
    return;
  }
  if (!isObject(node)) return;
  const kind = typeof node.object === 'string' ? node.object : undefined;
  const pathOf = (field: string): string => [...at, field].join('.');
  if (kind) {
    for (const field of expansionFields(kind)) {
      if (isObject(node[field]) && !expanded.has(pathOf(field))) out.push(`${kind}.${field} at ${pathOf(field)} is expanded, but the request did not ask for it`);
    }
    for (const field of INCLUDABLE[kind] ?? []) {
      if (field in node && !expanded.has(pathOf(field))) out.push(`${kind}.${field} at ${pathOf(field)} is only included when expand[] names it (API ≥ 2022-11-15 for charge.refunds)`);
    }
  }
  for (const [key, value] of Object.entries(node)) {
    // An event's data.object is a snapshot: nothing in it was expanded by the request that lists events.
    if (kind === 'event' && key === 'data') continue;
    expansionProblems(value, [...at, key], expanded, out);
  }
}

/** An event's own problems: its data.object must be a valid object of its kind, ids unexpanded. */
export function eventProblems(event: unknown): string[] {
  if (!isObject(event) || event.object !== 'event') return [];
  const out: string[] = [];
  const object = event.data?.object;
  const kind = isObject(object) ? object.object : undefined;
  if (typeof kind !== 'string' || !hasComponent(kind)) return [`event ${String(event.id)} (${String(event.type)}) carries data.object of unknown kind ${String(kind)}`];
  const errors = componentErrors(kind, object);
  if (errors) out.push(`data.object is not a valid ${kind}:\n${errors}`);
  if (event.api_version !== IMPLEMENTED_STRIPE_VERSION) out.push(`api_version is ${String(event.api_version)}, not ${IMPLEMENTED_STRIPE_VERSION}`);
  expansionProblems(object, ['data', 'object'], new Set(), out);
  return out.map((p) => `event ${String(event.id)} (${String(event.type)}): ${p}`);
}

/** Every problem of one answer against Stripe's document (empty when it conforms). */
export function answerProblems(answer: StripeAnswer): string[] {
  const out: string[] = [];
  const body = answer.body as any;
  if (answer.status >= 400) {
    const errors = componentErrors('error', body);
    if (errors) out.push(`error answer (${answer.status}) is not Stripe's error shape:\n${errors}`);
    if (isObject(body?.error?.payment_intent)) expansionProblems(body.error.payment_intent, ['error', 'payment_intent'], new Set(), out);
    return out;
  }
  const op = specOperation(answer.method, answer.path);
  if (!op) return [`${answer.method} ${answer.path} answered ${answer.status}, but Stripe's spec has no such operation`];
  const errors = successErrors(op, body);
  if (errors) out.push(`answer does not match ${op.method} ${op.template} in Stripe's spec:\n${errors}`);
  if (answer.stripeVersion !== IMPLEMENTED_STRIPE_VERSION) out.push(`Stripe-Version header is ${String(answer.stripeVersion)}, not ${IMPLEMENTED_STRIPE_VERSION}`);
  expansionProblems(body, [], expandList(answer.params), out);
  if (isObject(body) && body.object === 'event') out.push(...eventProblems(body));
  if (isObject(body) && body.object === 'list' && Array.isArray(body.data)) for (const item of body.data) out.push(...eventProblems(item));
  return out;
}

/** Collects the problems of every answer and event of one emulator; `assertConforms` throws listing them. */
export class StripeConformance {
  readonly problems: string[] = [];
  answers = 0;

  constructor() {
    if (specVersion() !== IMPLEMENTED_STRIPE_VERSION) throw new Error(`the emulator implements ${IMPLEMENTED_STRIPE_VERSION} but the spec is ${specVersion()}: conformance would compare different versions`);
  }

  answer = (answer: StripeAnswer): void => {
    this.answers += 1;
    for (const p of answerProblems(answer)) this.problems.push(`${answer.method} ${answer.path} → ${answer.status}: ${p}`);
  };

  event = (event: Record<string, unknown>): void => {
    for (const p of eventProblems(event)) this.problems.push(p);
  };

  assertConforms(): void {
    if (this.problems.length === 0) return;
    const shown = this.problems.slice(0, 20).join('\n');
    throw new Error(`The Stripe emulator sent ${this.problems.length} answer(s) that do not conform to Stripe's spec (emulators/stripe/test/conformance.ts):\n${shown}${this.problems.length > 20 ? `\n… and ${this.problems.length - 20} more` : ''}`);
  }
}
