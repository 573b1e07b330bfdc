// Builds a network from a declarative spec inside fresh network namespaces: one namespace per node,
// a veth pair per link with 10.0.<link>.0/24 addresses, segmentation offload off, forwarding on
// switches/routers, shortest-path static routes, and htb + small bfifo shaping on chosen egress ports.

import { run } from './exec.ts';
import { checkAddress, checkCidr, checkIfName, checkName } from './names.ts';
import type { Registry } from './registry.ts';

export type NodeKind = 'host' | 'switch' | 'router';

export interface NodeSpec {
  name: string;
  kind: NodeKind;
  /** Extra /32 service address on the loopback, reachable from every node. */
  service?: string;
}

/** A class of traffic with its own queue on a shaped port, chosen by source node. */
export interface PortClassSpec {
  name: string;
  /** Packets from these nodes' addresses go to this class. */
  fromNodes: string[];
  /** Guaranteed share of the port rate (0..1); every class may borrow up to the full rate. */
  share: number;
}

export interface PortShapeSpec {
  rateMbit: number;
  /** bfifo limit of each queue on the port, bytes. */
  bufferBytes: number;
  /** Extra classes beside the default one; [] keeps a single queue. */
  classes?: PortClassSpec[];
}

export interface LinkSpec {
  a: string;
  b: string;
  /** Shape the egress of the a-side port (towards b) and/or the b-side port (towards a). */
  shapeA?: PortShapeSpec;
  shapeB?: PortShapeSpec;
}

export interface TopologySpec {
  nodes: NodeSpec[];
  links: LinkSpec[];
  /** TCP congestion control for every namespace (must be in net.ipv4.tcp_allowed_congestion_control); kernel default if absent. */
  congestionControl?: string;
}

export interface Port {
  node: string;
  ns: string;
  dev: string;
  address: string;
  peer: string;
  peerAddress: string;
  link: number;
}

export interface ShapedPort extends Port {
  rateMbit: number;
  bufferBytes: number;
  /** Leaf bfifo qdisc handles by class name ('default' for the default class). */
  queues: Record<string, string>;
}

export class Topology {
  readonly ports: Port[] = [];
  readonly shaped: ShapedPort[] = [];
  private readonly nodeSpecs = new Map<string, NodeSpec>();

  constructor(readonly spec: TopologySpec, readonly registry: Registry) {
    for (const n of spec.nodes) {
      checkName('node', n.name, 8);
      if (this.nodeSpecs.has(n.name)) throw new Error(`topology: duplicate node ${n.name}`);
      if (n.service) checkAddress(n.service, `nodes[${n.name}].service`);
      this.nodeSpecs.set(n.name, n);
    }
    spec.links.forEach((l, i) => {
      for (const end of [l.a, l.b]) if (!this.nodeSpecs.has(end)) throw new Error(`topology: links[${i}] names unknown node ${JSON.stringify(end)}`);
      if (l.a === l.b) throw new Error(`topology: links[${i}] connects ${l.a} to itself`);
    });
    if (spec.links.length > 250) throw new Error('topology: at most 250 links');
    if (spec.congestionControl !== undefined && !/^[a-z0-9_]{1,16}$/.test(spec.congestionControl)) throw new Error(`topology: congestionControl ${JSON.stringify(spec.congestionControl)} is not a valid name`);
  }

  ns(node: string): string {
    if (!this.nodeSpecs.has(node)) throw new Error(`topology: unknown node ${JSON.stringify(node)}`);
    return `${this.registry.prefix}${node}`;
  }

  /** The port of `node` on its link towards `peer`. */
  port(node: string, peer: string): Port {
    const p = this.ports.find((x) => x.node === node && x.peer === peer);
    if (!p) throw new Error(`topology: no link ${node} -> ${peer}`);
    return p;
  }

  shapedPort(node: string, peer: string): ShapedPort {
    const p = this.shaped.find((x) => x.node === node && x.peer === peer);
    if (!p) throw new Error(`topology: port ${node} -> ${peer} is not shaped`);
    return p;
  }

  /** The address other nodes use to reach `node`: its service address, else its first port's address. */
  address(node: string): string {
    const svc = this.nodeSpecs.get(node)?.service;
    if (svc) return svc;
    const p = this.ports.find((x) => x.node === node);
    if (!p) throw new Error(`topology: node ${node} has no link`);
    return p.address;
  }

  /** Runs `ip`/`tc` inside the node's namespace and records the change. */
  async exec(node: string, argv: string[]): Promise<string> {
    const ns = this.ns(node);
    const tool = argv[0];
    if (tool !== 'ip' && tool !== 'tc' && tool !== 'sysctl') throw new Error(`topology.exec: only ip, tc and sysctl, got ${tool}`);
    const full = tool === 'sysctl' ? ['ip', 'netns', 'exec', ns, ...argv] : [tool, '-n', ns, ...argv.slice(1)];
    this.registry.recordChange(ns, full);
    return run(full);
  }

  async build(): Promise<void> {
    for (const n of this.spec.nodes) await this.registry.addNamespace(this.ns(n.name));
    for (const n of this.spec.nodes) {
      await this.exec(n.name, ['ip', 'link', 'set', 'lo', 'up']);
      if (n.service) await this.exec(n.name, ['ip', 'addr', 'add', `${n.service}/32`, 'dev', 'lo']);
      if (n.kind !== 'host') await this.exec(n.name, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      if (this.spec.congestionControl) await this.exec(n.name, ['sysctl', '-q', '-w', `net.ipv4.tcp_congestion_control=${this.spec.congestionControl}`]);
    }
    for (const [i, l] of this.spec.links.entries()) await this.buildLink(i + 1, l);
    await this.installRoutes();
  }

  private async buildLink(index: number, l: LinkSpec): Promise<void> {
    const devA = checkIfName(`${l.a}-${l.b}`);
    const devB = checkIfName(`${l.b}-${l.a}`);
    const addrA = `10.0.${index}.1`;
    const addrB = `10.0.${index}.2`;
    const nsA = this.ns(l.a);
    const nsB = this.ns(l.b);
    await this.exec(l.a, ['ip', 'link', 'add', 'name', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', nsB]);
    for (const [node, dev, addr] of [[l.a, devA, addrA], [l.b, devB, addrB]] as const) {
      // One packet per skb: the byte-limited fifos must see wire-sized packets, not 64 KB GSO bursts.
      await this.exec(node, ['ip', 'link', 'set', 'dev', dev, 'gso_max_segs', '1', 'gso_max_size', '1500']);
      await this.exec(node, ['ip', 'addr', 'add', `${addr}/24`, 'dev', dev]);
      await this.exec(node, ['ip', 'link', 'set', 'dev', dev, 'up']);
    }
    const pa: Port = { node: l.a, ns: nsA, dev: devA, address: addrA, peer: l.b, peerAddress: addrB, link: index };
    const pb: Port = { node: l.b, ns: nsB, dev: devB, address: addrB, peer: l.a, peerAddress: addrA, link: index };
    this.ports.push(pa, pb);
    if (l.shapeA) await this.shape(pa, l.shapeA);
    if (l.shapeB) await this.shape(pb, l.shapeB);
  }

  /** htb root with one class per traffic class (default 1:10), each with its own bfifo leaf. */
  private async shape(p: Port, s: PortShapeSpec): Promise<void> {
    if (!(s.rateMbit > 0) || !(s.bufferBytes >= 1500)) throw new Error(`topology: port ${p.dev}: rateMbit > 0 and bufferBytes >= 1500 required`);
    const classes = s.classes ?? [];
    const rest = 1 - classes.reduce((a, c) => a + c.share, 0);
    if (classes.some((c) => !(c.share > 0)) || !(rest > 0)) throw new Error(`topology: port ${p.dev}: class shares must be > 0 and sum below 1`);
    const rate = (mbit: number) => `${Math.max(1, Math.round(mbit * 1000))}kbit`;
    const quantum = ['quantum', '1514'];
    await this.exec(p.node, ['tc', 'qdisc', 'add', 'dev', p.dev, 'root', 'handle', '1:', 'htb', 'default', '10']);
    await this.exec(p.node, ['tc', 'class', 'add', 'dev', p.dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', rate(s.rateMbit), 'ceil', rate(s.rateMbit), ...quantum]);
    const queues: Record<string, string> = {};
    const leaves = [{ name: 'default', minor: 10, share: rest, fromNodes: [] as string[] }, ...classes.map((c, i) => ({ ...c, minor: 11 + i }))];
    for (const c of leaves) {
      checkName('class', c.name, 20);
      await this.exec(p.node, ['tc', 'class', 'add', 'dev', p.dev, 'parent', '1:1', 'classid', `1:${c.minor}`, 'htb', 'rate', rate(s.rateMbit * c.share), 'ceil', rate(s.rateMbit), ...quantum]);
      await this.exec(p.node, ['tc', 'qdisc', 'add', 'dev', p.dev, 'parent', `1:${c.minor}`, 'handle', `${c.minor}:`, 'bfifo', 'limit', String(Math.round(s.bufferBytes))]);
      queues[c.name] = `${c.minor}:`;
    }
    this.shaped.push({ ...p, rateMbit: s.rateMbit, bufferBytes: s.bufferBytes, queues });
    this.pendingFilters.push({ port: p, leaves });
  }

  private pendingFilters: { port: Port; leaves: { minor: number; fromNodes: string[] }[] }[] = [];

  /** Next hop from every node to every other node (BFS, first link wins ties), then static routes. */
  private async installRoutes(): Promise<void> {
    const names = this.spec.nodes.map((n) => n.name);
    const targets = new Map<string, string[]>(); // destination prefix -> nodes owning it
    for (const p of this.ports) targets.set(`10.0.${p.link}.0/24`, [p.node, p.peer]);
    for (const n of this.spec.nodes) if (n.service) targets.set(`${n.service}/32`, [n.name]);
    for (const src of names) {
      const first = this.firstHops(src);
      for (const [prefix, owners] of targets) {
        if (owners.includes(src)) continue;
        const nearest = owners.map((o) => ({ o, d: first.get(o) })).filter((x) => x.d).sort((x, y) => x.d!.dist - y.d!.dist)[0];
        if (!nearest) continue;
        // A directly connected /24 needs no route; otherwise route via the first-hop neighbour.
        const hop = nearest.d!.port;
        if (prefix === `10.0.${hop.link}.0/24`) continue;
        checkCidr(prefix);
        await this.exec(src, ['ip', 'route', 'add', prefix, 'via', hop.peerAddress, 'dev', hop.dev]);
      }
    }
    for (const f of this.pendingFilters) {
      for (const leaf of f.leaves) {
        for (const from of leaf.fromNodes) {
          for (const addr of this.addressesOf(from)) {
            await this.exec(f.port.node, ['tc', 'filter', 'add', 'dev', f.port.dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'src', `${addr}/32`, 'flowid', `1:${leaf.minor}`]);
          }
        }
      }
    }
    this.pendingFilters = [];
  }

  addressesOf(node: string): string[] {
    const out = this.ports.filter((p) => p.node === node).map((p) => p.address);
    const svc = this.nodeSpecs.get(node)?.service;
    return svc ? [...out, svc] : out;
  }

  private firstHops(src: string): Map<string, { dist: number; port: Port }> {
    const res = new Map<string, { dist: number; port: Port }>();
    const queue: { node: string; dist: number; port: Port | null }[] = [{ node: src, dist: 0, port: null }];
    const seen = new Set([src]);
    while (queue.length) {
      const cur = queue.shift()!;
      for (const p of this.ports.filter((x) => x.node === cur.node)) {
        if (seen.has(p.peer)) continue;
        seen.add(p.peer);
        const port = cur.port ?? p;
        res.set(p.peer, { dist: cur.dist + 1, port });
        // Hosts do not forward: paths never cross them.
        if (this.nodeSpecs.get(p.peer)!.kind !== 'host') queue.push({ node: p.peer, dist: cur.dist + 1, port });
      }
    }
    return res;
  }
}
