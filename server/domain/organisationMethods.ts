// An organisation's own payment methods ("Cheque", "ClassPass"), added by its admin beside the install's
// (cash, card terminal, bank transfer, gift voucher and the plugins'). The id a payment stores is made from
// the name once ("ClassPass" → classpass) and never changes; a method is disabled rather than deleted, since
// payments already recorded name it. What a sale, payment or refund may name is `methodChoices`.
import { NotFoundError, ValidationError } from '../errors';
import type { Queryable } from '../db/knex';
import type { CustomPaymentMethod, PaymentMethodCatalogue } from '../plugins/contract';
import { METHOD_ID, pluginOnlyRefusal, recordableByPeople } from '../plugins/paymentMethods';
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from './text';

export const MAX_METHOD_LABEL = 60;
/** Enough for any desk; the sale form's dropdown stays usable. */
export const MAX_CUSTOM_METHODS = 50;

interface MethodRow {
  method_id: string;
  label: string;
  enabled: boolean | number;
}

/** The id a new method gets from its name: lower case letters, digits and `_` ("Gift card (old)" → gift_card_old). */
export function methodIdFor(label: string): string {
  return label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 32)
    .replace(/_+$/, '');
}

export async function listOrganisationMethods(db: Queryable, orgId: number): Promise<CustomPaymentMethod[]> {
  const rows = (await db('organisation_payment_methods').where({ org_id: orgId }).orderBy('label').select('method_id', 'label', 'enabled')) as MethodRow[];
  return rows.map((r) => ({ id: r.method_id, label: r.label, enabled: Boolean(r.enabled) }));
}

export interface MethodChoices {
  enabled: string[];
  disabled: string[];
  /** Methods only their plugin records (e.g. "Paid in Xero"), refused to people with this reason. */
  pluginOnly: Map<string, string>;
}

/**
 * What a sale, payment or refund of the organisation may name now, and what it may not because it is
 * disabled or only its plugin records it. `recordedBy: 'plugin'`: a plugin's own recording path
 * (ctx.payments), which may name its plugin-only methods too.
 */
export async function methodChoices(
  catalogue: PaymentMethodCatalogue, db: Queryable, orgId: number, opts: { recordedBy?: 'people' | 'plugin' } = {},
): Promise<MethodChoices> {
  const methods = await catalogue.ofOrganisation(db, orgId);
  const byPlugin = opts.recordedBy === 'plugin';
  const pluginOnly = byPlugin ? [] : methods.filter((m) => !recordableByPeople(m));
  return {
    enabled: methods.filter((m) => m.enabled && (byPlugin || recordableByPeople(m))).map((m) => m.id),
    disabled: methods.filter((m) => !m.enabled).map((m) => m.id),
    pluginOnly: new Map(pluginOnly.map((m) => [m.id, pluginOnlyRefusal(m)])),
  };
}

/** Add a method by name; every problem is a ValidationError on `label` and nothing is written. */
export async function addOrganisationMethod(
  db: Queryable, catalogue: PaymentMethodCatalogue, orgId: number, input: { label: string }, who: string, now: number,
): Promise<CustomPaymentMethod> {
  const label = input.label.trim().replace(/\s+/g, ' ');
  const refuse = (message: string): never => {
    throw new ValidationError([{ path: 'label', message }], 'The payment method was not added');
  };
  if (!label) refuse('is required: the name staff choose at the desk, e.g. Cheque');
  if (label.length > MAX_METHOD_LABEL) refuse(`must be at most ${MAX_METHOD_LABEL} characters`);
  if (hasControlCharacters(label)) refuse(CONTROL_CHARACTER_MESSAGE);
  const id = methodIdFor(label);
  if (!METHOD_ID.test(id)) refuse('must start with a letter (its id, made from the name, is what the API sends)');
  const existing = await catalogue.ofOrganisation(db, orgId);
  const clash = existing.find((m) => m.id === id || m.label.toLowerCase() === label.toLowerCase());
  if (clash) refuse(`"${label}" is taken: ${clash.custom ? 'this organisation already has' : 'the install already has'} the method ${clash.label} (${clash.id})`);
  if (existing.filter((m) => m.custom).length >= MAX_CUSTOM_METHODS) refuse(`an organisation may have at most ${MAX_CUSTOM_METHODS} methods of its own; disable one it no longer takes`);
  const inserted = (await db('organisation_payment_methods')
    .insert({ org_id: orgId, method_id: id, label, enabled: true, created_by: who, created_at: now, updated_at: now })
    .onConflict(['org_id', 'method_id'])
    .ignore()
    .returning('id')) as unknown[];
  // Nothing inserted: the same name was added by another request a moment ago.
  if (inserted.length === 0) refuse(`"${label}" is taken: this organisation already has the method ${id}`);
  return { id, label, enabled: true };
}

/** Enable or disable one of the organisation's own methods (another organisation's reads as not found). */
export async function setOrganisationMethodEnabled(db: Queryable, orgId: number, methodId: string, enabled: boolean, now: number): Promise<CustomPaymentMethod> {
  const row = (await db('organisation_payment_methods').where({ org_id: orgId, method_id: methodId }).first('method_id', 'label')) as MethodRow | undefined;
  if (!row) throw new NotFoundError(`Payment method ${methodId}`);
  await db('organisation_payment_methods').where({ org_id: orgId, method_id: methodId }).update({ enabled, updated_at: now });
  return { id: row.method_id, label: row.label, enabled };
}
