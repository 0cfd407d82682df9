// TestScope is what keeps a timed-out long test from holding CI: when the test's signal aborts, loops
// see it at once and child processes die, so the test file can exit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestScope } from './scope';

describe('TestScope', () => {
  it('ends sleeps, refuses new processes and kills running ones when the test signal aborts', async () => {
    const test = new AbortController();
    const scope = new TestScope().follow(test.signal);
    const child = await scope.spawn({ id: 'forever', role: 'worker', entry: 'test/fixtures/processes/forever.ts', readyMarker: 'READY', env: {} });
    await child.ready;
    // (not events.once: the abort also emits an 'error' event, which would reject it)
    const exited = new Promise((resolve) => child.proc.once('exit', resolve));
    let rounds = 0;
    const loop = (async () => {
      while (await scope.sleep(60_000)) rounds++;
    })();
    const t0 = Date.now();
    test.abort(new Error('timed out'));
    await loop;
    await exited;
    assert.equal(rounds, 0);
    assert.ok(Date.now() - t0 < 5_000, 'the loop and the process ended at once');
    assert.equal(child.proc.signalCode, 'SIGKILL');
    await assert.rejects(scope.spawn({ id: 'late', role: 'worker', entry: 'test/fixtures/processes/forever.ts', readyMarker: 'READY', env: {} }));
    await scope.close();
  });

  it('close() kills what is still running and waits for it to exit', async () => {
    const scope = new TestScope();
    const child = await scope.spawn({ id: 'forever', role: 'worker', entry: 'test/fixtures/processes/forever.ts', readyMarker: 'READY', env: {} });
    await child.ready;
    await scope.close();
    assert.equal(child.alive, false);
    assert.equal(scope.active, false);
  });
});
