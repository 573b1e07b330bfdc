// Qdisc statistics collector: `tc [-n NS] -s -j -batch -` answering `qdisc show` per sample. On each watched
// device it follows queues, by default the root qdisc (the device's total), or those `queues` selects:
//   root     the root qdisc; its events carry the device's locale (`NS/dev`, or `dev` on the host)
//   leaves   every egress qdisc nothing is attached under: on an htb port, the queue of each class
//   10:      the qdisc with that handle
//   1:10     the qdisc attached to that class (the class an htb `default 10` or a filter's classid names)
// A queue below the root is named by the class it is attached to, as tc prints its parent: its events carry
// `<device locale>/<class>`, e.g. `swns/p1/1:10` (a class holds one qdisc, so two queues never share a name;
// handles may: mq's children are all `0:`). Per queue it emits `qdisc_drop` with the new drops, and `backlog`
// with the queued bytes when the backlog rises over a threshold (re-armed once it falls back under it).
// A watched device that vanished, or a listed handle or class missing on one, fails the sample.

import { DeviceCollector, num, type DeviceCollectorOptions, type DeviceEvent } from './device-collector.ts';

/** Devices absent = every device with a qdisc; periodMs default 10. */
export interface QdiscCollectorOptions extends DeviceCollectorOptions {
  /** Backlog in bytes over which a `backlog` event is emitted (default 0 = off). */
  backlogThresholdBytes?: number;
  /** Queues to follow on each device: `root` (default), `leaves`, qdisc handles (`10:`), class ids (`1:10`). */
  queues?: string[];
}

type Selector = { kind: 'root' } | { kind: 'leaves' } | { kind: 'handle'; id: string } | { kind: 'class'; id: string };

interface QueueState {
  drops: number;
  overThreshold: boolean;
}

const ID = '[0-9a-f]{1,4}';
const HANDLE_RE = new RegExp(`^${ID}:$`);
const CLASS_RE = new RegExp(`^${ID}:${ID}$`);

/** Parses the `queues` option; throws `queues[i]: reason`. */
function selectors(queues: string[], devices: boolean): Selector[] {
  if (queues.length === 0) throw new Error('queues: empty (root, leaves, a qdisc handle such as 10: or a class id such as 1:10)');
  return queues.map((q, i) => {
    const s = q.toLowerCase();
    if (s === 'root' || s === 'leaves') return { kind: s };
    const kind = HANDLE_RE.test(s) ? 'handle' : CLASS_RE.test(s) ? 'class' : null;
    if (!kind) throw new Error(`queues[${i}]: ${JSON.stringify(q)} is not root, leaves, a qdisc handle such as 10: or a class id such as 1:10`);
    if (!devices) throw new Error(`queues[${i}]: a qdisc handle or class id needs the devices it is on`);
    return { kind, id: s.replace(/^0+(?=[0-9a-f])/, '').replace(/:0+(?=[0-9a-f])/, ':') };
  });
}

/** The major number of a handle or class id (`1:10` -> `1`; tc prints mq's children as parent `:1`). */
function major(id: string): string {
  return id.slice(0, id.indexOf(':')) || '0';
}

const isIngress = (q: Record<string, unknown>) => q.kind === 'ingress' || q.kind === 'clsact' || q.parent === 'ffff:fff1';

export class QdiscCollector extends DeviceCollector {
  /** Per device, per queue ('' = root): the last drops counter and whether the backlog is over the threshold. */
  private readonly state = new Map<string, Map<string, QueueState>>();
  private readonly threshold: number;
  private readonly selectors: Selector[];

  constructor(opts: QdiscCollectorOptions = {}) {
    super('qdisc', 'tc', 'qdisc show', 'no qdisc on', opts, 10);
    this.threshold = opts.backlogThresholdBytes ?? 0;
    this.selectors = selectors(opts.queues ?? ['root'], opts.devices !== undefined);
  }

  protected deviceOf(q: Record<string, unknown>): string | null {
    return typeof q.dev === 'string' ? q.dev : null;
  }

  protected read(dev: string, qdiscs: Record<string, unknown>[], event: DeviceEvent): string[] {
    const { queues, missing } = this.select(dev, qdiscs);
    const before = this.state.get(dev);
    const now = new Map<string, QueueState>();
    for (const [name, q] of queues) {
      const drops = num(q.drops);
      const backlog = num(q.backlog);
      const prev = before?.get(name);
      const part = name === '' ? undefined : name;
      // A replaced qdisc restarts its counters: only a rise counts.
      if (prev !== undefined && drops > prev.drops) event('qdisc_drop', drops - prev.drops, part);
      let overThreshold = prev?.overThreshold ?? false;
      if (this.threshold > 0) {
        if (backlog > this.threshold && !overThreshold) {
          overThreshold = true;
          event('backlog', backlog, part);
        } else if (backlog <= this.threshold) overThreshold = false;
      }
      now.set(name, { drops, overThreshold });
    }
    // Queues no longer selected (a class removed) are forgotten with the sample.
    this.state.set(dev, now);
    return missing;
  }

  /** The device's selected queues by name ('' = root, else the class it is attached to), and what is missing. */
  private select(dev: string, qdiscs: Record<string, unknown>[]): { queues: Map<string, Record<string, unknown>>; missing: string[] } {
    const egress = qdiscs.filter((q) => !isIngress(q) && typeof q.handle === 'string');
    const root = egress.find((q) => q.root === true);
    const queues = new Map<string, Record<string, unknown>>();
    const missing: string[] = [];
    const add = (q: Record<string, unknown>) => queues.set(q === root ? '' : String(q.parent), q);
    for (const s of this.selectors) {
      if (s.kind === 'root') {
        if (root) add(root);
        else missing.push(`no root qdisc on ${dev}`);
      } else if (s.kind === 'leaves') {
        // Something is attached under a qdisc when a qdisc's parent has its major; a `0:` child has no handle to attach to.
        const parents = new Set(egress.filter((q) => q !== root).map((q) => major(String(q.parent))));
        for (const q of egress) if (!parents.has(major(String(q.handle))) || (q !== root && q.handle === '0:')) add(q);
      } else {
        const q = egress.find((e) => (s.kind === 'handle' ? e.handle : e.parent) === s.id);
        if (q) add(q);
        else missing.push(s.kind === 'handle' ? `no qdisc ${s.id} on ${dev}` : `no qdisc under class ${s.id} on ${dev}`);
      }
    }
    return { queues, missing };
  }
}
