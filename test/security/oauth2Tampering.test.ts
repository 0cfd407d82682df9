// OAuth2 state and PKCE tampering against the Xero emulator (the flow itself and same-organisation
// state attacks are in test/e2e/xero/oauth2.test.ts): another organisation's admin cannot finish our
// request; an attacker's authorisation code pasted under our state is refused (it is bound to the
// attacker's PKCE challenge); a code_challenge swapped on the way to Xero makes the exchange fail; a
// callback without state is refused. Nothing is stored for either organisation in any case.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { dbKinds } from '../support/db';
import { logIn, seedOrg, type SeededOrg } from '../support/xero';
import { listConnections } from '../../plugins/xero/connection/store';
import { consentShortcut, followCallback, oauth2World, startConsent, type OAuth2World } from '../e2e/xero/oauth2Flow';

for (const kind of dbKinds()) {
  describe(`security: OAuth2 state and PKCE tampering (${kind})`, { timeout: 120_000 }, () => {
    let world: OAuth2World;
    let other: SeededOrg;
    before(async () => {
      world = await oauth2World(kind);
      other = await seedOrg(world.x.host.deps.db, 'Intruder Gym');
    });
    after(async () => world?.close());

    const nothingStored = async () => {
      const db = world.x.host.deps.db;
      assert.equal((await listConnections(db, world.org.orgId)).length, 0, 'no connection for the victim');
      assert.equal((await listConnections(db, other.orgId)).length, 0, 'no connection for the attacker');
    };

    it("another organisation's admin cannot finish our connection request", async () => {
      const victim = await logIn(world.x.app, world.org.emails.admin);
      const intruder = await logIn(world.x.app, other.emails.admin);
      const redirect = await consentShortcut(world, await startConsent(world, victim));
      const res = await followCallback(intruder, redirect);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      await nothingStored();
    });

    it("an attacker's code under our state is refused (PKCE binds the code to the attacker's challenge)", async () => {
      const victim = await logIn(world.x.app, world.org.emails.admin);
      const intruder = await logIn(world.x.app, other.emails.admin);
      const ours = await consentShortcut(world, await startConsent(world, victim));
      const theirs = await consentShortcut(world, await startConsent(world, intruder));
      const forged = new URL(ours);
      forged.searchParams.set('code', theirs.searchParams.get('code')!);
      const res = await followCallback(victim, forged);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.match(res.text, /invalid_grant|did not accept/);
      await nothingStored();
    });

    it('a code_challenge swapped on the way to Xero makes the token exchange fail', async () => {
      const victim = await logIn(world.x.app, world.org.emails.admin);
      const consent = await startConsent(world, victim);
      const attackerVerifier = randomBytes(32).toString('base64url');
      const swapped = { ...consent, codeChallenge: createHash('sha256').update(attackerVerifier).digest('base64url') };
      const res = await followCallback(victim, await consentShortcut(world, swapped));
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.match(res.text, /invalid_grant/);
      await nothingStored();
    });

    it('a callback with no state, or an empty one, is refused', async () => {
      const victim = await logIn(world.x.app, world.org.emails.admin);
      const redirect = await consentShortcut(world, await startConsent(world, victim));
      for (const state of [null, '']) {
        const forged = new URL(redirect);
        if (state === null) forged.searchParams.delete('state');
        else forged.searchParams.set('state', state);
        const res = await followCallback(victim, forged);
        assert.equal(res.status, 400, res.text.slice(0, 300));
      }
      await nothingStored();
    });
  });
}
