// Injected answer time (Xero's real latency for benchmarks): each API call waits a seeded, uniform delay
// inside the configured range while holding its in-flight slot; the control API sets and checks it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { InjectedLatency } from '../limits/latency';
import { API, customConnection, makeEmulator } from './helpers';

describe('injected latency', () => {
  it('draws every delay inside [minMs, maxMs], the same sequence for the same seed', () => {
    const a = new InjectedLatency({ minMs: 300, maxMs: 600, seed: 42 });
    const b = new InjectedLatency({ minMs: 300, maxMs: 600, seed: 42 });
    const drawsA = Array.from({ length: 2000 }, () => a.draw());
    const drawsB = Array.from({ length: 2000 }, () => b.draw());
    assert.deepEqual(drawsA, drawsB);
    assert.ok(drawsA.every((d) => d >= 300 && d <= 600));
    // Uniform, not a constant: both halves of the range are used about equally.
    const low = drawsA.filter((d) => d < 450).length;
    assert.ok(low > 850 && low < 1150, `${low} of 2000 draws below the midpoint`);
    assert.notDeepEqual(drawsA, Array.from({ length: 2000 }, () => new InjectedLatency({ minMs: 300, maxMs: 600, seed: 7 }).draw()));
  });

  it('delays an API call by the configured time; the control API sets it, refuses bad input and turns it off', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    assert.deepEqual((await request(emulator.app).get('/_emulator/latency').expect(200)).body, { minMs: 0, maxMs: 0, seed: 1 });

    const bad = await request(emulator.app).post('/_emulator/latency').send({ minMs: 500, maxMs: 100 }).expect(400);
    assert.match(bad.body.error.message, /maxMs \(100\) must be ≥ minMs \(500\)/);
    await request(emulator.app).post('/_emulator/latency').send({ minMs: -1 }).expect(400);
    assert.equal(emulator.latency.get().maxMs, 0, 'a refused update changes nothing');

    await request(emulator.app).post('/_emulator/latency').send({ minMs: 150, maxMs: 200, seed: 3 }).expect(200);
    let started = performance.now();
    await request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer).expect(200);
    const slow = performance.now() - started;
    assert.ok(slow >= 145, `answered after ${slow.toFixed(0)} ms`);
    // The control API itself is not delayed.
    started = performance.now();
    await request(emulator.app).post('/_emulator/latency').send({ minMs: 0, maxMs: 0 }).expect(200);
    assert.ok(performance.now() - started < 145);
    await request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer).expect(200);
    await emulator.close();
  });
});
