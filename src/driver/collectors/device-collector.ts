// What the per-device collectors (qdisc, interface) share: the namespace and watched devices, one long-lived
// `tc`/`ip` `-s -j -batch -` asked one `show` per sample, the sampling loop, event emission (locale per device,
// or per part of it such as a queue), and the check that every watched device was seen (a vanished one, or a
// part the collector reports missing, fails the sample).

import type { SmartRecord } from '../../protocol/record.ts';
import { nowMicros } from '../../sdk/clock.ts';
import { BatchQueries, type Tool } from '../../linux/batch-process.ts';
import { devName, netnsName } from '../../linux/names.ts';
import { SampleLoop, newCollectorCounters, type Collector, type EmitEvents, type ReportError } from './collector.ts';

export interface DeviceCollectorOptions {
  /** Network namespace to read (`-n`); absent = the host. */
  netns?: string;
  /** Devices to watch; absent = every device the `show` lists. */
  devices?: string[];
  /** Sampling period, >= 1 ms. */
  periodMs?: number;
  /** The locale of a device's events (default `NS/dev`, or `dev` on the host). */
  localeOf?: (device: string) => string;
}

/** Adds one event of the device being read; `part` (e.g. a queue) makes its locale `<device locale>/<part>`. */
export type DeviceEvent = (name: string, value: number, part?: string) => void;

export abstract class DeviceCollector implements Collector {
  readonly name: string;
  readonly counters = newCollectorCounters();
  private readonly batch: BatchQueries;
  private readonly loop: SampleLoop;
  private readonly devices: Set<string> | null;
  private readonly localeOf: (dev: string) => string;
  private emit: EmitEvents = () => undefined;

  /** `kind` names the collector (`kind@ns`); `show` is the batch line sampled; `absent` prefixes the missing devices' error. */
  constructor(
    kind: string,
    private readonly tool: Tool,
    private readonly show: string,
    private readonly absent: string,
    opts: DeviceCollectorOptions,
    defaultPeriodMs: number,
  ) {
    const ns = opts.netns === undefined ? undefined : netnsName('netns', opts.netns);
    this.devices = opts.devices ? new Set(opts.devices.map((d, i) => devName(`devices[${i}]`, d))) : null;
    this.localeOf = opts.localeOf ?? ((dev) => (ns ? `${ns}/${dev}` : dev));
    this.name = `${kind}@${ns ?? 'host'}`;
    this.batch = new BatchQueries(tool, ns ?? null);
    this.loop = new SampleLoop(opts.periodMs ?? defaultPeriodMs, () => this.sample(), this.counters);
  }

  async start(emit: EmitEvents, onError?: ReportError): Promise<void> {
    this.emit = emit;
    if (onError) this.loop.onError = onError;
    await this.sample();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.batch.close();
  }

  /** Takes one sample now (the loop calls this every period). */
  async sample(): Promise<void> {
    const out = await this.batch.query(this.show);
    if (!Array.isArray(out)) throw new Error(`${this.tool} ${this.show}: expected a JSON array`);
    const time = nowMicros();
    const events: SmartRecord[] = [];
    const byDevice = new Map<string, Record<string, unknown>[]>();
    for (const entry of out as Record<string, unknown>[]) {
      const dev = this.deviceOf(entry);
      if (dev === null || (this.devices && !this.devices.has(dev))) continue;
      const list = byDevice.get(dev);
      if (list) list.push(entry);
      else byDevice.set(dev, [entry]);
    }
    const problems: string[] = [];
    for (const [dev, entries] of byDevice) {
      const locale = this.localeOf(dev);
      problems.push(...this.read(dev, entries, (name, value, part) => events.push({ time, locale: part === undefined ? locale : `${locale}/${part}`, kind: 'event', name, value })));
    }
    if (events.length) {
      this.counters.events += events.length;
      this.emit(events);
    }
    const missing = this.devices ? [...this.devices].filter((d) => !byDevice.has(d)) : [];
    if (missing.length) problems.unshift(`${this.absent} ${missing.join(', ')}`);
    if (problems.length) throw new Error(`${problems.join('; ')} (${this.name})`);
  }

  /** The device an entry of the `show` output belongs to, or null when it is not one to read. */
  protected abstract deviceOf(entry: Record<string, unknown>): string | null;
  /** Reads a watched device's entries (in `show` order), adding its events; returns what it missed (failing the sample). */
  protected abstract read(dev: string, entries: Record<string, unknown>[], event: DeviceEvent): string[];
}

/** A counter value of tool JSON: a finite number, else 0. */
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
