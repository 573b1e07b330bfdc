// Leaf-spine datacenter topology for synthetic scenarios, as the protocol's topology.json document
// ({nodes:[{id,kind}], links:[{a,b}], locales:{locale: nodeId}}), and the locale naming scheme.

import type { TopologyDoc } from '../protocol/topology.ts';

/** A topology document whose locale map is always present (app locales -> host, switch ports -> switch). */
export type LeafSpineDoc = TopologyDoc & { locales: Record<string, string> };

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
export function leafSpine(shape: LeafSpineShape): LeafSpineDoc {
  for (const [field, v] of Object.entries(shape)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`topology ${field}: must be a positive integer, got ${v}`);
  }
  const doc: LeafSpineDoc = { nodes: [], links: [], locales: {} };
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
