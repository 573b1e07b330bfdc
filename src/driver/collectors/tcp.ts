// TCP counters collector: reads /proc/net/netstat and /proc/net/snmp (the host) or those of a helper process
// parked inside a network namespace (/proc/<pid>/net/...), and emits an event per counter that rose:
// by default `tcp_timeout` (TcpExt TCPTimeouts), `tcp_retrans` (Tcp RetransSegs), `tcp_loss_probe` (TCPLossProbes).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import type { SmartRecord } from '../../protocol/record.ts';
import { nowMicros } from '../../sdk/clock.ts';
import { netnsName } from '../../linux/names.ts';
import { SampleLoop, newCollectorCounters, type Collector, type EmitEvents, type ReportError } from './collector.ts';

export const DEFAULT_TCP_COUNTERS: Record<string, string> = {
  'TcpExt.TCPTimeouts': 'tcp_timeout',
  'Tcp.RetransSegs': 'tcp_retrans',
  'TcpExt.TCPLossProbes': 'tcp_loss_probe',
};

export interface TcpCollectorOptions {
  netns?: string;
  /** Sampling period, >= 1 ms (default 100). */
  periodMs?: number;
  /** The locale of the events (default the namespace name, or "host"). */
  locale?: string;
  /** `Section.Counter` -> event name (default DEFAULT_TCP_COUNTERS). */
  counters?: Record<string, string>;
}

/** Parses the header/value line pairs of /proc/net/netstat or /proc/net/snmp into `Section.Name` -> value. */
export function parseProcNetCounters(text: string, into: Map<string, number> = new Map()): Map<string, number> {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i]!.trim().split(/\s+/);
    const vals = lines[i + 1]!.trim().split(/\s+/);
    const section = head[0]?.replace(/:$/, '');
    if (!section || vals[0] !== head[0]) continue;
    for (let k = 1; k < head.length && k < vals.length; k++) into.set(`${section}.${head[k]}`, Number(vals[k]));
  }
  return into;
}

export class TcpCollector implements Collector {
  readonly name: string;
  readonly counters = newCollectorCounters();
  private readonly loop: SampleLoop;
  private readonly ns: string | undefined;
  private readonly locale: string;
  private readonly watched: Record<string, string>;
  private helper: ChildProcess | null = null;
  private procDir = '/proc/net';
  private last: Map<string, number> | null = null;
  private emit: EmitEvents = () => undefined;

  constructor(opts: TcpCollectorOptions = {}) {
    this.ns = opts.netns === undefined ? undefined : netnsName('netns', opts.netns);
    this.locale = opts.locale ?? this.ns ?? 'host';
    this.watched = opts.counters ?? DEFAULT_TCP_COUNTERS;
    for (const key of Object.keys(this.watched)) {
      if (!/^(TcpExt|Tcp|IpExt|Ip|Udp|MPTcpExt)\.[A-Za-z0-9]+$/.test(key)) throw new RangeError(`counters: not a Section.Counter key: ${JSON.stringify(key)}`);
    }
    this.name = `tcp@${this.ns ?? 'host'}`;
    this.loop = new SampleLoop(opts.periodMs ?? 100, () => this.sample(), this.counters);
  }

  async start(emit: EmitEvents, onError?: ReportError): Promise<void> {
    this.emit = emit;
    if (onError) this.loop.onError = onError;
    if (this.ns) await this.parkHelper(this.ns);
    await this.sample();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    const h = this.helper;
    this.helper = null;
    if (h && h.exitCode === null && h.signalCode === null) {
      await new Promise<void>((resolve) => {
        h.once('exit', () => resolve());
        h.kill('SIGKILL');
      });
    }
  }

  async sample(): Promise<void> {
    const [netstat, snmp] = await Promise.all([readFile(`${this.procDir}/netstat`, 'utf8'), readFile(`${this.procDir}/snmp`, 'utf8')]);
    const now = parseProcNetCounters(snmp, parseProcNetCounters(netstat));
    const before = this.last;
    this.last = now;
    if (!before) return;
    const time = nowMicros();
    const events: SmartRecord[] = [];
    for (const [key, name] of Object.entries(this.watched)) {
      const a = before.get(key);
      const b = now.get(key);
      if (a !== undefined && b !== undefined && b > a) events.push({ time, locale: this.locale, kind: 'event', name, value: b - a });
    }
    if (events.length) {
      this.counters.events += events.length;
      this.emit(events);
    }
  }

  /** Starts `sleep` inside the namespace and reads its /proc/<pid>/net once it has entered it. */
  private async parkHelper(ns: string): Promise<void> {
    const target = await stat(`/run/netns/${ns}`).catch(() => {
      throw new Error(`netns ${ns}: /run/netns/${ns} does not exist`);
    });
    const child = spawn('ip', ['netns', 'exec', ns, 'sleep', 'infinity'], { stdio: 'ignore' });
    this.helper = child;
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`netns ${ns}: cannot start the helper process`);
    for (let i = 0; i < 200; i++) {
      const s = await stat(`/proc/${pid}/ns/net`).catch(() => null);
      if (s && s.ino === target.ino && s.dev === target.dev) {
        this.procDir = `/proc/${pid}/net`;
        return;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    this.helper = null;
    throw new Error(`netns ${ns}: the helper process did not enter the namespace`);
  }
}
