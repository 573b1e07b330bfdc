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
