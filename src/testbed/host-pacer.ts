// Sender pacing on a host's egress port: an htb class that normally runs at the link's full rate and can
// be switched to a lower rate (and back) through a long-lived tc batch in about a tenth of a millisecond.

import { checkIfName } from './names.ts';
import type { TcBatch } from './tc-batch.ts';
import type { Topology } from './topology.ts';

/** Unpaced rate of host egress classes: far above any shaped port, so it never limits. */
export const UNPACED_MBIT = 10_000;

/** Installs htb (class 1:10 at UNPACED_MBIT, deep pfifo leaf) on the node's port towards `peer`. */
export async function installPacer(topo: Topology, node: string, peer: string): Promise<{ ns: string; dev: string }> {
  const p = topo.port(node, peer);
  await topo.exec(node, ['tc', 'qdisc', 'add', 'dev', p.dev, 'root', 'handle', '1:', 'htb', 'default', '10']);
  await topo.exec(node, ['tc', 'class', 'add', 'dev', p.dev, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', `${UNPACED_MBIT}mbit`, 'ceil', `${UNPACED_MBIT}mbit`, 'quantum', '1514']);
  await topo.exec(node, ['tc', 'qdisc', 'add', 'dev', p.dev, 'parent', '1:10', 'handle', '10:', 'pfifo', 'limit', '10000']);
  return { ns: p.ns, dev: p.dev };
}

export class HostPacer {
  private current: number | null = null;

  constructor(private readonly tc: TcBatch, readonly dev: string) {
    checkIfName(dev);
  }

  get rateMbit(): number | null {
    return this.current;
  }

  /** Paces the host at `rateMbit`, or removes pacing with null. */
  async set(rateMbit: number | null): Promise<void> {
    if (rateMbit !== null && !(rateMbit > 0 && rateMbit <= UNPACED_MBIT)) throw new Error(`pacer ${this.dev}: rate ${rateMbit} Mbit/s out of range`);
    if (rateMbit === this.current) return;
    const r = rateMbit === null ? `${UNPACED_MBIT}mbit` : `${Math.round(rateMbit * 1000)}kbit`;
    await this.tc.change(`class change dev ${this.dev} parent 1: classid 1:10 htb rate ${r} ceil ${r} quantum 1514`);
    this.current = rateMbit;
  }
}
