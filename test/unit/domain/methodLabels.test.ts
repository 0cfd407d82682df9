import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { methodLabelsOf } from '../../../server/domain/methodLabels';
import type { OrganisationPaymentMethod } from '../../../server/plugins/contract';

const method = (id: string, label: string, source = 'host'): OrganisationPaymentMethod =>
  ({ id, label, source, providerName: label, settledByPayouts: false, enabled: true }) as OrganisationPaymentMethod;

describe('methodLabelsOf', () => {
  it("names the organisation's own methods and the customer's credit as people do, and an unknown id as itself", async () => {
    const asked: number[] = [];
    const catalogue = {
      ofOrganisation: async (_db: unknown, orgId: number) => {
        asked.push(orgId);
        return [method('cash', 'Cash'), method('classpass', 'ClassPass', 'organisation'), method('stripe', 'Stripe card payment', 'stripe')];
      },
    };
    const label = await methodLabelsOf(catalogue, {} as never, 7);
    assert.deepEqual(asked, [7], 'the organisation asked about is the one named');
    assert.equal(label('classpass'), 'ClassPass', "the organisation's own method by its name (the live page said 'classpass')");
    assert.equal(label('stripe'), 'Stripe card payment');
    assert.equal(label('customer_credit'), 'Customer credit');
    assert.equal(label('retired_method'), 'retired_method');
  });
});
