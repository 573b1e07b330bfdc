// The batches of the engine crash test: driver "d1" (boot "b1"), seq 1..n, 100 records each, every record distinct.

import type { RecordBatch } from '../../src/bus/messages.ts';

export function crashBatches(n: number): RecordBatch[] {
  const t0 = 1_700_000_000_000_000;
  return Array.from({ length: n }, (_, s) => ({
    driver: 'd1',
    seq: s + 1,
    boot: 'b1',
    records: Array.from({ length: 100 }, (_, i) => {
      const k = s * 100 + i;
      return { time: t0 + k * 7, locale: `h${k % 5}`, kind: k % 4 ? ('tag' as const) : ('event' as const), name: k % 4 ? 'MG' : 'drop', value: k };
    }),
  }));
}
