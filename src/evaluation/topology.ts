// Leaf-spine datacenter topology for synthetic scenarios and the topology.json document
// ({nodes:[{id,kind}], links:[{a,b}], locales:{locale: nodeId}}), with locale naming and hop distances.

import { readFileSync } from 'node:fs';

export type NodeKind = 'spine' | 'leaf' | 'host';

export interface TopologyDoc {
  nodes: { id: string; kind: string }[];
  links: { a: string; b: string }[];
  /** Locale -> node id it lives on (app locales map to their host, switch ports to their switch). */
  locales: Record<string, string>;
}

export interface LeafSpineShape {
  spines: number;
  leaves: number;
  hostsPerLeaf: number;
}

export const spineId = (s: number) => `spine${s}`;
export const leafId = (l: number) => `leaf${l}`;
export const hostId = (h: number) => `h${h}`;
/** Leaf port facing host k of its rack (downlink): the incast port of that host. */
export const hostPort = (leaf: number, k: number) => `leaf${leaf}:p${k}`;
/** Leaf uplink towards spine s. */
export const uplinkPort = (leaf: number, s: number) => `leaf${leaf}:u${s}`;
/** Spine port facing leaf l. */
export const spinePort = (s: number, leaf: number) => `spine${s}:p${leaf}`;
/** Locale of an application instance on a host. */
export const appLocale = (app: string, host: number) => `${app}@h${host}`;

/** Builds the leaf-spine graph; every port and host is a locale. Hosts are numbered rack by rack. */
export function leafSpine(shape: LeafSpineShape): TopologyDoc {
  for (const [field, v] of Object.entries(shape)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`topology ${field}: must be a positive integer, got ${v}`);
  }
  const doc: TopologyDoc = { nodes: [], links: [], locales: {} };
  for (let s = 0; s < shape.spines; s++) doc.nodes.push({ id: spineId(s), kind: 'spine' });
  for (let l = 0; l < shape.leaves; l++) {
    doc.nodes.push({ id: leafId(l), kind: 'leaf' });
    for (let s = 0; s < shape.spines; s++) {
      doc.links.push({ a: leafId(l), b: spineId(s) });
      doc.locales[uplinkPort(l, s)] = leafId(l);
      doc.locales[spinePort(s, l)] = spineId(s);
    }
    for (let k = 0; k < shape.hostsPerLeaf; k++) {
      const h = l * shape.hostsPerLeaf + k;
      doc.nodes.push({ id: hostId(h), kind: 'host' });
      doc.links.push({ a: hostId(h), b: leafId(l) });
      doc.locales[hostPort(l, k)] = leafId(l);
      doc.locales[hostId(h)] = hostId(h);
    }
  }
  return doc;
}

/** Hop distances between all node pairs reachable from each other (BFS from every node on demand). */
export class HopDistances {
  private readonly adjacency = new Map<string, string[]>();
  private readonly cache = new Map<string, Map<string, number>>();

  constructor(private readonly doc: TopologyDoc) {
    for (const n of doc.nodes) this.adjacency.set(n.id, []);
    for (const { a, b } of doc.links) {
      this.adjacency.get(a)?.push(b);
      this.adjacency.get(b)?.push(a);
    }
  }

  /** Hops between the nodes two locales live on; null when a locale is unknown or unreachable. */
  between(localeA: string, localeB: string): number | null {
    const a = this.doc.locales[localeA];
    const b = this.doc.locales[localeB];
    if (a === undefined || b === undefined) return null;
    return this.fromNode(a).get(b) ?? null;
  }

  private fromNode(start: string): Map<string, number> {
    let dist = this.cache.get(start);
    if (dist) return dist;
    dist = new Map([[start, 0]]);
    let frontier = [start];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const n of frontier) {
        for (const m of this.adjacency.get(n) ?? []) {
          if (!dist.has(m)) {
            dist.set(m, dist.get(n)! + 1);
            next.push(m);
          }
        }
      }
      frontier = next;
    }
    this.cache.set(start, dist);
    return dist;
  }
}

/** "same", "1-hop", "2-hop", ... as used by Signature.relation; null when unrelated/unknown. */
export function relationName(hops: number | null): string | null {
  if (hops === null) return null;
  return hops === 0 ? 'same' : `${hops}-hop`;
}

/** Locale relations for learners: "same"/"k-hop" when the locales' nodes are at most `maxHops` apart, else null. */
export class TopologyRelations {
  private readonly hops: HopDistances;

  constructor(
    doc: TopologyDoc,
    readonly maxHops: number,
  ) {
    if (!(Number.isSafeInteger(maxHops) && maxHops >= 0)) throw new Error(`maxHops: must be a non-negative integer, got ${maxHops}`);
    this.hops = new HopDistances(doc);
  }

  relation(tagLocale: string, eventLocale: string): string | null {
    const h = this.hops.between(tagLocale, eventLocale);
    return h !== null && h <= this.maxHops ? relationName(h) : null;
  }
}

/** Reads and validates topology.json; errors name the file and the offending field. */
export function readTopology(path: string): TopologyDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  return validateTopology(raw, path);
}

export function validateTopology(raw: unknown, where = 'topology'): TopologyDoc {
  const fail = (field: string, why: string): never => {
    throw new Error(`${where}: ${field}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('(document)', 'not a JSON object');
  const doc = raw as Partial<TopologyDoc>;
  if (!Array.isArray(doc.nodes)) fail('nodes', 'not an array');
  if (!Array.isArray(doc.links)) fail('links', 'not an array');
  if (typeof doc.locales !== 'object' || doc.locales === null || Array.isArray(doc.locales)) fail('locales', 'not an object of locale -> node id');
  const ids = new Set<string>();
  doc.nodes!.forEach((n, i) => {
    if (typeof n?.id !== 'string' || n.id === '') fail(`nodes[${i}].id`, 'not a non-empty string');
    ids.add(n.id);
  });
  doc.links!.forEach((l, i) => {
    if (!ids.has(l?.a)) fail(`links[${i}].a`, `unknown node ${JSON.stringify(l?.a)}`);
    if (!ids.has(l?.b)) fail(`links[${i}].b`, `unknown node ${JSON.stringify(l?.b)}`);
  });
  for (const [locale, node] of Object.entries(doc.locales!)) if (!ids.has(node)) fail(`locales[${JSON.stringify(locale)}]`, `unknown node ${JSON.stringify(node)}`);
  return doc as TopologyDoc;
}
