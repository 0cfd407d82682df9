// The consent page describes each scope as Xero does (issue 14): the words of Xero's OpenAPI document
// (xero_accounting.yaml, securitySchemes.OAuth2.flows.authorizationCode.scopes) for every scope it lists,
// and a description for every scope the emulator accepts; the page a person sees lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import request from 'supertest';
import { SCOPE_DESCRIPTIONS, SUPPORTED_SCOPES } from '../identity/scopes';
import { DEFAULT_USER } from '../identity/state';
import { accountingSpecPath } from './openapi';
import { FULL_SCOPE, makeEmulator, REDIRECT_URI, registerOAuth2App } from './helpers';

test("every scope Xero's document describes reads as it does there, and every scope the emulator accepts is described", () => {
  const spec = yaml.load(readFileSync(accountingSpecPath(), 'utf8')) as { components: { securitySchemes: { OAuth2: { flows: { authorizationCode: { scopes: Record<string, string> } } } } } };
  const xeros = spec.components.securitySchemes.OAuth2.flows.authorizationCode.scopes;
  for (const scope of SUPPORTED_SCOPES) {
    assert.ok(SCOPE_DESCRIPTIONS[scope], `${scope} is described`);
    if (xeros[scope]) assert.equal(SCOPE_DESCRIPTIONS[scope], xeros[scope], `${scope} as Xero describes it`);
  }
});

test('the consent page lists each requested scope by its description, then its name', async () => {
  const emulator = makeEmulator();
  try {
    const client = await registerOAuth2App(emulator);
    const start = await request(emulator.app).get('/connect/authorize')
      .query({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: FULL_SCOPE, state: 's' }).expect(200);
    const interaction = /name="interaction" value="([^"]+)"/.exec(start.text)![1]!;
    const consent = await request(emulator.app).post('/connect/authorize/login').type('form')
      .send({ interaction, email: DEFAULT_USER.email, password: DEFAULT_USER.password }).expect(200);
    const listed = [...consent.text.matchAll(/<li>([^<]+) <code>([^<]+)<\/code><\/li>/g)].map((m) => [m[2], m[1]]);
    assert.deepEqual(listed, FULL_SCOPE.split(' ').map((s) => [s, SCOPE_DESCRIPTIONS[s]!.replace(/'/g, '&#39;')]));
    assert.match(consent.text, /<li>Grant read-write access to bank transactions, credit notes, invoices, repeating invoices <code>accounting\.transactions<\/code><\/li>/);
  } finally {
    await emulator.close();
  }
});
