// TRUST_PROXY decides whose word about the client address we take. `true` (every hop) let any client pick
// its own address behind the shipped nginx, which appends to X-Forwarded-For: it is refused at boot.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../server/config';
import { ConfigError } from '../../server/errors';

const trustProxyOf = (value: string | undefined) => loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/lb-config-test', TRUST_PROXY: value }).trustProxy;
const problemsOf = (value: string): string[] => {
  try {
    trustProxyOf(value);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
};

describe('TRUST_PROXY', () => {
  it('trusts nobody by default, or when switched off', () => {
    for (const v of [undefined, '', 'false', '0', 'no', 'off']) assert.equal(trustProxyOf(v), false);
  });

  it('takes a hop count or a list of proxy addresses and subnets', () => {
    assert.equal(trustProxyOf('1'), 1);
    assert.equal(trustProxyOf('2'), 2);
    assert.deepEqual(trustProxyOf('127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback'), ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
  });

  it('refuses true, naming why, and anything that is not an address', () => {
    for (const v of ['true', 'TRUE', 'yes']) {
      const [problem] = problemsOf(v);
      assert.match(problem ?? '', /^TRUST_PROXY: must not be true .*login throttle/);
    }
    assert.match(problemsOf('11')[0] ?? '', /from 1 to 10/);
    assert.match(problemsOf('10.0.0.0/33')[0] ?? '', /not valid: 10\.0\.0\.0\/33/);
    assert.match(problemsOf('proxy.internal')[0] ?? '', /not valid: proxy\.internal/);
  });
});
