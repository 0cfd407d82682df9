// Manual journals (used to move an expired gift voucher's balance from its liability to revenue): the lines
// must balance to zero, each account must exist, be active and not a control account; DRAFT or POSTED.
// Requests and answers are checked against Xero's OpenAPI schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './accountingHarness';

const line = (AccountCode: string, LineAmount: number) => ({ AccountCode, LineAmount, Description: 'Gift voucher GV-7KQ2-M9XD expired', TaxType: 'NONE' });
const messages = (body: { Elements: { ValidationErrors: { Message: string }[] }[] }) => body.Elements[0]!.ValidationErrors.map((e) => e.Message);

test('a balanced manual journal posts and reads back; unbalanced, unknown accounts, one line or no narration are refused', async () => {
  const h = harness();
  const journal = { Narration: 'Expired gift vouchers', Date: '2027-06-15', Status: 'POSTED', JournalLines: [line('835', 12.5), line('260', -12.5)] };
  await h.put('/Accounts', { Code: '835', Name: 'Gift vouchers held', Type: 'CURRLIAB', EnablePaymentsToAccount: true }, { requestSchema: 'Account', responseSchema: 'Accounts' });

  const posted = await h.put('/ManualJournals', journal, { requestSchema: 'ManualJournal', responseSchema: 'ManualJournals' });
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  const made = posted.body.ManualJournals[0];
  assert.equal(made.Status, 'POSTED');
  assert.deepEqual(made.JournalLines.map((l: { AccountCode: string; LineAmount: number }) => [l.AccountCode, l.LineAmount]), [['835', 12.5], ['260', -12.5]]);
  const read = await h.get(`/ManualJournals/${made.ManualJournalID}`);
  assert.equal(read.body.ManualJournals[0].Narration, 'Expired gift vouchers');

  const unbalanced = await h.put('/ManualJournals', { ...journal, JournalLines: [line('835', 12.5), line('260', -12.49)] });
  assert.equal(unbalanced.status, 400);
  assert.deepEqual(messages(unbalanced.body), ['The journal does not balance: debits 12.50 and credits 12.49 must be equal.']);
  const unknown = await h.put('/ManualJournals', { ...journal, JournalLines: [line('835', 1), line('999', -1)] });
  assert.deepEqual(messages(unknown.body), ["Account code '999' is not a valid code for this document."]);
  const oneLine = await h.put('/ManualJournals', { Narration: 'x', JournalLines: [line('835', 0)] });
  assert.deepEqual(messages(oneLine.body), ['A manual journal must have at least two journal lines.']);
  const noNarration = await h.put('/ManualJournals', { ...journal, Narration: ' ' });
  assert.deepEqual(messages(noNarration.body), ['Narration is a required field.']);
  assert.equal((await h.get('/ManualJournals')).body.ManualJournals.length, 1, 'nothing refused was kept');
});
