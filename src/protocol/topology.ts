// The network graph of paper 3.3: nodes (hosts, switches, apps), undirected links and a locale -> node map,
// validated with JSON-path errors; hop distances by lazily cached per-node BFS relate record locales.

import { readFile } from 'node:fs/promises';
import { identifierProblem } from './record.ts';

export interface TopologyNode {
  id: string;
  /** What the node is: "host", "switch", "app", ... (free text). */
  kind: string;
}

export interface TopologyLink {
  a: string;
  b: string;
}

/** The topology file: `{nodes:[{id,kind}], links:[{a,b}], locales:{locale: nodeId}}`. */
export interface TopologyDoc {
  nodes: TopologyNode[];
  links: TopologyLink[];
  /** Locales that are not node ids, mapped to the node they live on. A node id maps to itself. */
  locales?: Record<string, string>;
}

/** Default reach of a relation: tags and events at most this many hops apart are candidates. */
export const DEFAULT_MAX_HOPS = 2;

/** Hop distances are stored in 16 bits; this marks "not reachable". */
const UNREACHABLE = 0xffff;

export class TopologyError extends Error {}

/** "same" for 0 hops, "1-hop", "2-hop", ..., "unrelated" when not connected or unknown. */
export function relationLabel(hops: number): string {
  if (hops === 0) return 'same';
  if (Number.isFinite(hops)) return `${hops}-hop`;
  return 'unrelated';
}

export class Topology {
  readonly nodes: readonly TopologyNode[];
  readonly links: readonly TopologyLink[];
  private readonly nodeIndex = new Map<string, number>();
  private readonly localeNode = new Map<string, number>();
  /** Locales of each node (its id first, then mapped locales). */
  private readonly nodeLocales: string[][];
  private readonly adjacency: number[][];
  private readonly distances = new Map<number, Uint16Array>();
  private readonly unknown = new Set<string>();

  /** Called the first time a locale that is neither mapped nor a node id is looked up. */
  onUnknownLocale: ((locale: string) => void) | null = null;

  private constructor(doc: TopologyDoc) {
    this.nodes = doc.nodes;
    this.links = doc.links;
    doc.nodes.forEach((n, i) => this.nodeIndex.set(n.id, i));
    this.nodeLocales = doc.nodes.map((n) => [n.id]);
    this.adjacency = doc.nodes.map(() => []);
    for (const l of doc.links) {
      const a = this.nodeIndex.get(l.a)!;
      const b = this.nodeIndex.get(l.b)!;
      this.adjacency[a]!.push(b);
      this.adjacency[b]!.push(a);
    }
    for (const [locale, node] of Object.entries(doc.locales ?? {})) {
      const i = this.nodeIndex.get(node)!;
      if (locale === node) continue;
      this.localeNode.set(locale, i);
      this.nodeLocales[i]!.push(locale);
    }
  }

  /** Validates a parsed topology document; errors name the JSON path (`links[3].b: unknown node "sw9"`). */
  static fromDoc(doc: unknown, source = 'topology'): Topology {
    return new Topology(validateTopology(doc, source));
  }

  static parse(text: string, source = 'topology'): Topology {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new TopologyError(`${source}: not JSON: ${(err as Error).message}`);
    }
    return Topology.fromDoc(doc, source);
  }

  static async load(path: string): Promise<Topology> {
    return Topology.parse(await readFile(path, 'utf8'), path);
  }

  toJSON(): TopologyDoc {
    const locales: Record<string, string> = {};
    for (const [locale, i] of this.localeNode) locales[locale] = this.nodes[i]!.id;
    return { nodes: [...this.nodes], links: [...this.links], locales };
  }

  /** The node a locale lives on, or null for an unknown locale (reported once through onUnknownLocale). */
  nodeOf(locale: string): string | null {
    const i = this.indexOf(locale);
    return i < 0 ? null : this.nodes[i]!.id;
  }

  /** Locales looked up that the topology does not know, in order of first sight. */
  get unknownLocales(): string[] {
    return [...this.unknown];
  }

  /** Hops between the nodes of two locales; 0 on the same node; Infinity when unknown or disconnected. */
  hops(localeA: string, localeB: string): number {
    const a = this.indexOf(localeA);
    const b = this.indexOf(localeB);
    if (a < 0 || b < 0) return Infinity;
    const d = this.distancesFrom(a)[b]!;
    return d === UNREACHABLE ? Infinity : d;
  }

  related(localeA: string, localeB: string, maxHops = DEFAULT_MAX_HOPS): boolean {
    return this.hops(localeA, localeB) <= maxHops;
  }

  /** Every locale the topology knows (node ids and mapped locales) within maxHops of `locale`, itself included. */
  relatedLocales(locale: string, maxHops = DEFAULT_MAX_HOPS): string[] {
    const a = this.indexOf(locale);
    if (a < 0) return [];
    const dist = this.distancesFrom(a);
    const out: string[] = [];
    for (let i = 0; i < dist.length; i++) if (dist[i]! !== UNREACHABLE && dist[i]! <= maxHops) out.push(...this.nodeLocales[i]!);
    return out;
  }

  private indexOf(locale: string): number {
    const i = this.localeNode.get(locale) ?? this.nodeIndex.get(locale);
    if (i !== undefined) return i;
    if (!this.unknown.has(locale)) {
      this.unknown.add(locale);
      this.onUnknownLocale?.(locale);
    }
    return -1;
  }

  /** BFS hop counts from node `a` to every node, computed on first use and cached. */
  private distancesFrom(a: number): Uint16Array {
    let dist = this.distances.get(a);
    if (dist) return dist;
    dist = new Uint16Array(this.nodes.length).fill(UNREACHABLE);
    dist[a] = 0;
    const queue = new Int32Array(this.nodes.length);
    let head = 0;
    let tail = 0;
    queue[tail++] = a;
    while (head < tail) {
      const u = queue[head++]!;
      const next = dist[u]! + 1;
      for (const v of this.adjacency[u]!) {
        if (dist[v] === UNREACHABLE) {
          dist[v] = Math.min(next, UNREACHABLE - 1);
          queue[tail++] = v;
        }
      }
    }
    this.distances.set(a, dist);
    return dist;
  }
}

function validateTopology(doc: unknown, source: string): TopologyDoc {
  const fail = (path: string, reason: string): never => {
    throw new TopologyError(`${source}: ${path}: ${reason}`);
  };
  if (!isObject(doc)) return fail('(top level)', 'expected an object {nodes, links, locales}');
  if (!Array.isArray(doc.nodes)) return fail('nodes', doc.nodes === undefined ? 'missing (expected an array of {id, kind})' : 'expected an array of {id, kind}');
  const firstAt = new Map<string, number>();
  const nodes: TopologyNode[] = doc.nodes.map((n: unknown, i: number) => {
    if (!isObject(n)) return fail(`nodes[${i}]`, 'expected an object {id, kind}');
    const idProblem = identifierProblem(n.id);
    if (idProblem) return fail(`nodes[${i}].id`, n.id === undefined ? 'missing' : idProblem);
    const id = n.id as string;
    if (typeof n.kind !== 'string' || n.kind === '') return fail(`nodes[${i}].kind`, n.kind === undefined ? 'missing' : `expected a non-empty string, got ${JSON.stringify(n.kind)}`);
    const first = firstAt.get(id);
    if (first !== undefined) return fail(`nodes[${i}].id`, `duplicate node id ${JSON.stringify(id)} (also nodes[${first}])`);
    firstAt.set(id, i);
    return { id, kind: n.kind };
  });
  const rawLinks = doc.links ?? [];
  if (!Array.isArray(rawLinks)) return fail('links', 'expected an array of {a, b}');
  const links: TopologyLink[] = rawLinks.map((l: unknown, i: number) => {
    if (!isObject(l)) return fail(`links[${i}]`, 'expected an object {a, b}');
    for (const end of ['a', 'b'] as const) {
      const v = l[end];
      if (typeof v !== 'string') return fail(`links[${i}].${end}`, v === undefined ? 'missing' : `expected a node id, got ${JSON.stringify(v)}`);
      if (!firstAt.has(v)) return fail(`links[${i}].${end}`, `unknown node ${JSON.stringify(v)}`);
    }
    if (l.a === l.b) return fail(`links[${i}]`, `links node ${JSON.stringify(l.a)} to itself`);
    return { a: l.a as string, b: l.b as string };
  });
  const rawLocales = doc.locales ?? {};
  if (!isObject(rawLocales)) return fail('locales', 'expected an object {locale: nodeId}');
  const locales: Record<string, string> = {};
  for (const [locale, node] of Object.entries(rawLocales)) {
    const path = `locales[${JSON.stringify(locale)}]`;
    const localeProblem = identifierProblem(locale);
    if (localeProblem) fail(path, `locale ${localeProblem}`);
    if (typeof node !== 'string') return fail(path, `expected a node id, got ${JSON.stringify(node)}`);
    if (!firstAt.has(node)) fail(path, `unknown node ${JSON.stringify(node)}`);
    if (firstAt.has(locale) && locale !== node) fail(path, `${JSON.stringify(locale)} is a node id (a node id maps to itself), cannot map it to ${JSON.stringify(node)}`);
    locales[locale] = node;
  }
  return { nodes, links, locales };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
