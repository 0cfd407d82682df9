// Shared set-up for the domain integration tests: a migrated database, two organisations, an event bus
// that records what it delivered, and principals of each role.
import type { Db } from '../../../server/db/knex';
import { EventBus } from '../../../server/domain/eventBus';
import type { HostEvent } from '../../../server/domain/events';
import { createOrganisation } from '../../../server/domain/organisations';
import type { PaymentMethodCatalogue, Principal, Role } from '../../../server/plugins/contract';
import { testPaymentMethods } from '../../support/paymentMethods';
import { createTestDatabase, type DbKind, type TestDatabase } from '../../support/db';

export interface DomainFixture {
  test: TestDatabase;
  db: Db;
  events: EventBus;
  paymentMethods: PaymentMethodCatalogue;
  /** Every event the bus delivered, in order (only events whose transaction went on to commit matter: see `committedEvents`). */
  delivered: HostEvent[];
  orgId: number;
  otherOrgId: number;
  staff: Principal;
  otherOrgStaff: Principal;
  destroy(): Promise<void>;
}

export function principal(orgId: number, role: Role = 'staff', id = 1): Principal {
  return { kind: 'user', id, orgId, role, name: `${role} ${id}` };
}

export async function createDomainFixture(kind: DbKind): Promise<DomainFixture> {
  const test = await createTestDatabase(kind);
  const org = await createOrganisation(test.db, { name: 'Riverside Gym', baseCurrency: 'GBP' });
  const other = await createOrganisation(test.db, { name: 'Hilltop Studio' });
  const events = new EventBus();
  const delivered: HostEvent[] = [];
  for (const type of ['sale.completed', 'refund.issued', 'payment.received', 'sale.cancelled'] as const) {
    events.on(type, async (event) => {
      delivered.push(event);
    });
  }
  return {
    test, db: test.db, events, delivered, paymentMethods: testPaymentMethods,
    orgId: org.id, otherOrgId: other.id,
    staff: principal(org.id), otherOrgStaff: principal(other.id),
    destroy: () => test.destroy(),
  };
}

/** Events as stored in domain_events (only committed ones survive). */
export async function committedEvents(db: Db): Promise<{ type: string; subject_type: string; subject_id: number; payload: unknown }[]> {
  const rows = (await db('domain_events').orderBy('id')) as { type: string; subject_type: string; subject_id: number; payload: string }[];
  return rows.map((r) => ({ type: r.type, subject_type: r.subject_type, subject_id: Number(r.subject_id), payload: JSON.parse(r.payload) }));
}

const COUNTED_TABLES = ['customers', 'sales', 'sale_lines', 'payments', 'refunds', 'refund_lines', 'domain_events', 'outbox', 'api_idempotency', 'customer_credit_uses'];

/** Row counts of every table a sale, refund or payment can touch: compare before/after a rejected request. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of COUNTED_TABLES) {
    const [row] = (await db(table).count({ n: '*' })) as { n: number | string }[];
    counts[table] = Number(row?.n ?? 0);
  }
  // Amounts that change in place (refunded/paid) must not move either.
  const [sums] = (await db('sales').select(db.raw('coalesce(sum(refunded_minor), 0) as refunded, coalesce(sum(paid_minor), 0) as paid'))) as { refunded: number; paid: number }[];
  counts['sales.refunded_minor'] = Number(sums?.refunded ?? 0);
  counts['sales.paid_minor'] = Number(sums?.paid ?? 0);
  const [lineSums] = (await db('sale_lines').select(db.raw('coalesce(sum(refunded_minor), 0) as refunded'))) as { refunded: number }[];
  counts['sale_lines.refunded_minor'] = Number(lineSums?.refunded ?? 0);
  return counts;
}

/** A small valid sale body; override what a test cares about. */
export function saleBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    currency: 'GBP',
    customer: { name: 'Ann Lee', email: 'ann@example.com' },
    lines: [
      { description: 'Yoga class', quantity: 2, unitPrice: '12.50', taxCode: 'OUTPUT2' },
      { description: 'Mat hire', quantity: 1, unitPrice: '3.00' },
    ],
    ...overrides,
  };
}
