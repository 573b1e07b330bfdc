// Interface counters collector: `ip [-n NS] -s -j -batch -` answering `link show` per sample; per device it
// emits `if_drop` (new rx+tx drops) and `if_error` (new rx+tx errors). A watched device that vanished fails the sample.

import { DeviceCollector, num, type DeviceCollectorOptions, type DeviceEvent } from './device-collector.ts';

/** Devices absent = all; periodMs default 100. */
export type InterfaceCollectorOptions = DeviceCollectorOptions;

type Stats = { rx?: Record<string, unknown>; tx?: Record<string, unknown> };

export class InterfaceCollector extends DeviceCollector {
  private readonly last = new Map<string, { drops: number; errors: number }>();

  constructor(opts: InterfaceCollectorOptions = {}) {
    super('interface', 'ip', 'link show', 'no interface', opts, 100);
  }

  protected deviceOf(l: Record<string, unknown>): string | null {
    return typeof l.ifname === 'string' && l.stats64 ? l.ifname : null;
  }

  protected read(dev: string, links: Record<string, unknown>[], event: DeviceEvent): string[] {
    const stats = links[0]!.stats64 as Stats;
    const now = { drops: num(stats.rx?.dropped) + num(stats.tx?.dropped), errors: num(stats.rx?.errors) + num(stats.tx?.errors) };
    const before = this.last.get(dev);
    this.last.set(dev, now);
    if (before) {
      if (now.drops > before.drops) event('if_drop', now.drops - before.drops);
      if (now.errors > before.errors) event('if_error', now.errors - before.errors);
    }
    return [];
  }
}
