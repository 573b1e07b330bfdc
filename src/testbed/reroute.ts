// Policy-routing reroute at a switch: an alternate table that sends a destination via a second next hop,
// and `ip rule from <source> lookup <table>` per moved flow source, removed again on restore.

import { checkAddress } from './names.ts';
import type { Topology } from './topology.ts';

export class PolicyReroute {
  private readonly moved = new Set<string>();
  private installed = false;

  /** At `node`, traffic to `dest` from a moved source leaves towards `altPeer`. */
  constructor(private readonly topo: Topology, readonly node: string, readonly dest: string, readonly altPeer: string, readonly table = 100, readonly priority = 100) {
    checkAddress(dest, 'reroute destination');
    if (!Number.isInteger(table) || table < 1 || table > 250) throw new Error(`reroute: table ${table} out of 1..250`);
  }

  async install(): Promise<void> {
    if (this.installed) return;
    const p = this.topo.port(this.node, this.altPeer);
    await this.topo.exec(this.node, ['ip', 'route', 'add', `${this.dest}/32`, 'via', p.peerAddress, 'dev', p.dev, 'table', String(this.table)]);
    this.installed = true;
  }

  get sources(): string[] {
    return [...this.moved];
  }

  /** Moves exactly these sources onto the alternate path (others go back to the main table). */
  async set(sources: string[]): Promise<void> {
    if (!this.installed) throw new Error('reroute: install() first');
    for (const s of sources) checkAddress(s, 'reroute source');
    const want = new Set(sources);
    const ops: Promise<unknown>[] = [];
    for (const s of this.moved) if (!want.has(s)) ops.push(this.rule('del', s).then(() => this.moved.delete(s)));
    for (const s of want) if (!this.moved.has(s)) ops.push(this.rule('add', s).then(() => this.moved.add(s)));
    await Promise.all(ops);
  }

  private rule(op: 'add' | 'del', source: string): Promise<string> {
    return this.topo.exec(this.node, ['ip', 'rule', op, 'from', `${source}/32`, 'lookup', String(this.table), 'priority', String(this.priority)]);
  }
}
