// Qdisc statistics collector: `tc [-n NS] -s -j -batch -` answering `qdisc show` per sample; per device (root
// qdisc) it emits `qdisc_drop` with the new drops, and `backlog` with the queued bytes when the backlog rises
// over a threshold (re-armed once it falls back under it). A watched device that vanished fails the sample.

import { DeviceCollector, num, type DeviceCollectorOptions, type DeviceEvent } from './device-collector.ts';

/** Devices absent = every device with a root qdisc; periodMs default 10. */
export interface QdiscCollectorOptions extends DeviceCollectorOptions {
  /** Backlog in bytes over which a `backlog` event is emitted (default 0 = off). */
  backlogThresholdBytes?: number;
}

export class QdiscCollector extends DeviceCollector {
  private readonly lastDrops = new Map<string, number>();
  private readonly overThreshold = new Set<string>();
  private readonly threshold: number;

  constructor(opts: QdiscCollectorOptions = {}) {
    super('qdisc', 'tc', 'qdisc show', 'no root qdisc on', opts, 10);
    this.threshold = opts.backlogThresholdBytes ?? 0;
  }

  protected deviceOf(q: Record<string, unknown>): string | null {
    return q.root === true && typeof q.dev === 'string' ? q.dev : null;
  }

  protected read(dev: string, q: Record<string, unknown>, event: DeviceEvent): void {
    const s = { drops: num(q.drops), backlog: num(q.backlog) };
    const before = this.lastDrops.get(dev);
    this.lastDrops.set(dev, s.drops);
    // A replaced qdisc restarts its counters: only a rise counts.
    if (before !== undefined && s.drops > before) event('qdisc_drop', s.drops - before);
    if (this.threshold > 0) {
      if (s.backlog > this.threshold && !this.overThreshold.has(dev)) {
        this.overThreshold.add(dev);
        event('backlog', s.backlog);
      } else if (s.backlog <= this.threshold) this.overThreshold.delete(dev);
    }
  }
}
