// The bulk transfer that now and then shares the client's port: iperf3 server in the receiving namespace,
// transfers of a fixed size from the sending namespace every `everyMs`, each reporting its goodput.

import { run } from './exec.ts';
import { startDaemon } from './ns-process.ts';
import type { Topology } from './topology.ts';

export const IPERF_PORT = 5201;

export async function startBulkSink(topo: Topology, node: string): Promise<void> {
  await startDaemon(topo, node, `iperf3-server-${node}`, ['iperf3', '-s', '-B', topo.address(node), '-p', String(IPERF_PORT)]);
}

/** One transfer of `bytes` from `from` to `to`; returns goodput in Mbit/s. */
export async function bulkTransfer(topo: Topology, from: string, to: string, bytes: number, extra: string[] = []): Promise<number> {
  const argv = ['ip', 'netns', 'exec', topo.ns(from), 'iperf3', '-c', topo.address(to), '-p', String(IPERF_PORT), '-n', String(Math.round(bytes)), '-J', ...extra];
  let out = '';
  for (let attempt = 0; ; attempt++) {
    try {
      out = await run(argv, { timeoutMs: 60_000 });
      break;
    } catch (e) {
      // The server answers one test at a time and needs a moment after starting.
      if (attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const j = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
  if (j.error) throw new Error(`iperf3 ${from}->${to}: ${j.error}`);
  const bps = j.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') throw new Error(`iperf3 ${from}->${to}: no end.sum_received.bits_per_second in its JSON`);
  return bps / 1e6;
}

/** Repeats transfers every `everyMs` (the first at `firstAtMs`, wall clock) until `stop()`; resolves with their goodputs. */
export async function bulkLoop(topo: Topology, from: string, to: string, bytes: number, everyMs: number, firstAtMs: number, stop: () => boolean): Promise<number[]> {
  const out: number[] = [];
  let next = firstAtMs;
  while (!stop()) {
    const wait = next - Date.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
      continue;
    }
    out.push(await bulkTransfer(topo, from, to, bytes));
    next += everyMs;
  }
  return out;
}
