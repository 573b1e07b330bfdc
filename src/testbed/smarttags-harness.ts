// The SmartTags parts a testbed case runs beside its workload (the library equivalent of `smarttags up`):
// an in-process bus, the engine service learning from live records, a host driver whose Unix socket the
// application's SDK reaches from inside its namespace, and a switch driver with the qdisc collector.

import { unlink } from 'node:fs/promises';
import { InProcessBus } from '../bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../bus/messages.ts';
import { Driver, QdiscCollector } from '../driver/index.ts';
import { EngineService } from '../engine/service.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import { checkIfName, checkName } from './names.ts';

export interface HarnessOptions {
  /** Run prefix: names the socket so parallel runs never collide. */
  prefix: string;
  /** Locale of the application's Tags. */
  appLocale: string;
  /** The switch namespace and the ports whose qdisc drops become Events. */
  switchNs: string;
  switchDevices: string[];
  /** Locale of the switch Events (e.g. "sw/sw-c"). */
  switchLocale: (dev: string) => string;
  samplePeriodMs: number;
  learn: Record<string, unknown>;
}

export class SmartTagsHarness {
  readonly bus = new InProcessBus();
  readonly engine: EngineService;
  readonly hostDriver: Driver;
  readonly switchDriver: Driver;
  readonly socketPath: string;
  /** Records seen on the bus (what the engine learned from), counted by kind. */
  readonly seen = { tags: 0, events: 0 };
  private readonly unsub: () => void;

  constructor(o: HarnessOptions) {
    checkName('namespace', o.switchNs);
    o.switchDevices.forEach(checkIfName);
    this.socketPath = `/tmp/smarttags-${o.prefix}app.sock`;
    this.engine = new EngineService(this.bus, { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 2_000_000, minRecords: 10, learn: o.learn });
    this.hostDriver = new Driver({ id: 'host', locales: [o.appLocale], bus: this.bus, socketPath: this.socketPath });
    this.switchDriver = new Driver({
      id: 'switch',
      locales: [o.switchLocale(o.switchDevices[0]!)],
      bus: this.bus,
      collectors: [new QdiscCollector({ netns: o.switchNs, devices: o.switchDevices, periodMs: o.samplePeriodMs, localeOf: o.switchLocale })],
    });
    this.unsub = this.bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => {
      for (const r of b.records) this.seen[r.kind === 'tag' ? 'tags' : 'events']++;
    });
  }

  async start(): Promise<void> {
    await this.engine.start();
    await this.hostDriver.start();
    await this.switchDriver.start();
  }

  /** Learns from everything received so far and returns the signatures in force. */
  async learn(): Promise<SignaturesDoc | null> {
    const outcome = await this.engine.learnNow();
    if (outcome === 'failed') throw new Error('engine: learning failed');
    return this.engine.signatures()?.doc ?? null;
  }

  async stop(): Promise<void> {
    this.unsub();
    await this.switchDriver.stop();
    await this.hostDriver.stop();
    await this.engine.stop();
    await this.bus.close();
    await unlink(this.socketPath).catch(() => undefined);
  }
}
