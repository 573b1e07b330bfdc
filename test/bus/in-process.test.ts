import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from '../../src/bus/in-process.ts';

test('in-process bus delivers to every subscriber and survives a throwing handler', () => {
  const bus = new InProcessBus();
  const got: number[] = [];
  bus.subscribe<number>('s', () => {
    throw new Error('boom');
  });
  const off = bus.subscribe<number>('s', (n) => got.push(n));
  bus.publish('s', 1);
  off();
  bus.publish('s', 2);
  assert.deepEqual(got, [1]);
  assert.equal(bus.handlerErrors, 2);
});

test('in-process request/reply answers and times out', async () => {
  const bus = new InProcessBus();
  bus.respond<number, number>('double', (n) => n * 2);
  assert.equal(await bus.request<number, number>('double', 21, 100), 42);
  bus.respond<number, number>('never', () => new Promise(() => {}));
  await assert.rejects(bus.request('never', 1, 20), /timed out/);
  await assert.rejects(bus.request('absent', 1, 20), /no responder/);
});

test('in-process call answers a synchronous responder before it returns, a later answer or a timeout once', async () => {
  const bus = new InProcessBus();
  bus.respond<number, number>('double', (n) => n * 2);
  bus.respond<number, number>('slow', async (n) => {
    await new Promise((r) => setTimeout(r, 30));
    return n;
  });
  bus.respond<number, number>('throws', () => {
    throw new Error('bad request');
  });
  const got: string[] = [];
  const done = (what: string) => (err: Error | null, reply?: number) => got.push(`${what}: ${err ? err.message : reply}`);
  bus.call<number, number>('double', 21, 100, done('double'));
  bus.call<number, number>('throws', 1, 100, done('throws'));
  bus.call<number, number>('absent', 1, 100, done('absent'));
  assert.deepEqual(got, ['double: 42', 'throws: bad request', 'absent: no responder for absent'], 'all answered before call returned');
  bus.call<number, number>('slow', 7, 1000, done('slow'));
  bus.call<number, number>('slow', 8, 5, done('too slow'));
  assert.equal(got.length, 3);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(got.slice(3), ['too slow: request on slow timed out after 5 ms', 'slow: 7']);
});
