// The testbed's face of a long-lived `tc -n NS -s -j -batch -` process (src/linux/batch-process.ts): about
// 0.1 ms per query instead of a 2-3 ms spawn. Used to read qdisc drop counters and to change htb classes
// quickly; requests are serialised and a failed command rejects its own request.

import { BatchQueries } from '../linux/batch-process.ts';
import { checkName } from './names.ts';

/** Generous: the testbed runs on a loaded 2-core machine, and a late answer is better than a lost sample. */
const TIMEOUT_MS = 10_000;

export class TcBatch {
  private readonly batch: BatchQueries;

  constructor(readonly ns: string) {
    checkName('namespace', ns);
    this.batch = new BatchQueries('tc', ns, TIMEOUT_MS);
  }

  /** Runs a `qdisc show`/`class show` command and parses its JSON. */
  async show<T = unknown>(line: string): Promise<T> {
    return (await this.batch.query(line)) as T;
  }

  /** Runs a change command (no output expected); resolves once tc has processed it. */
  async change(line: string): Promise<void> {
    // tc prints nothing for a successful change: a cheap query after it tells when it has been applied.
    await this.batch.query(line, 'qdisc show dev lo');
  }

  close(): Promise<void> {
    return this.batch.close();
  }
}

interface QdiscStat {
  kind: string;
  handle: string;
  drops: number;
  packets: number;
  bytes: number;
  backlog: number;
}

/** Drop counter of one leaf qdisc (by handle, e.g. "10:") on a device. */
export async function qdiscDrops(tc: TcBatch, dev: string, handle: string): Promise<number> {
  checkName('interface', dev, 15);
  const stats = await tc.show<QdiscStat[]>(`qdisc show dev ${dev}`);
  const q = stats.find((s) => s.handle === handle);
  if (!q) throw new Error(`tc -n ${tc.ns}: no qdisc ${handle} on ${dev}`);
  return q.drops;
}
