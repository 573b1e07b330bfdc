// A StatsD-compatible UDP listener so apps with an existing StatsD client (e.g. hot-shots) emit Tags:
// `name:value|g|#locale:xyz` (also |c with @rate, |ms, |h, |d), several lines per datagram. Each valid line
// becomes a Tag; each invalid one is counted with its datagram and line named.

import type { Socket } from 'node:dgram';
import { identifierProblem, type SmartRecord } from '../protocol/record.ts';
import { nowMicros } from '../sdk/clock.ts';
import { countReject, type DriverCounters } from './counters.ts';
import { bindUdp } from './udp-bind.ts';

const TYPES = new Set(['g', 'c', 'ms', 'h', 'd']);
const MAX_DATAGRAM = 65_507;

export type StatsdParse = { ok: true; name: string; value: number; locale: string | null } | { ok: false; field: string; reason: string };

/** Parses one StatsD line into a Tag name, value and optional `locale` tag. */
export function parseStatsdLine(line: string): StatsdParse {
  const colon = line.indexOf(':');
  if (colon <= 0) return { ok: false, field: 'name', reason: 'expected name:value|type' };
  const name = line.slice(0, colon);
  const nameProblem = identifierProblem(name);
  if (nameProblem) return { ok: false, field: 'name', reason: nameProblem };
  const parts = line.slice(colon + 1).split('|');
  if (parts.length < 2) return { ok: false, field: 'type', reason: 'missing |type' };
  const raw = parts[0]!;
  let value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) return { ok: false, field: 'value', reason: `not a finite number: ${JSON.stringify(raw)}` };
  const type = parts[1]!;
  if (!TYPES.has(type)) return { ok: false, field: 'type', reason: `unsupported type ${JSON.stringify(type)} (g, c, ms, h, d)` };
  let locale: string | null = null;
  for (let i = 2; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.startsWith('@')) {
      const rate = Number(p.slice(1));
      if (!(rate > 0 && rate <= 1)) return { ok: false, field: 'sampleRate', reason: `not in (0, 1]: ${JSON.stringify(p.slice(1))}` };
      if (type === 'c') value /= rate;
    } else if (p.startsWith('#')) {
      for (const t of p.slice(1).split(',')) {
        if (t.startsWith('locale:')) {
          const l = t.slice(7);
          const problem = identifierProblem(l);
          if (problem) return { ok: false, field: 'locale', reason: problem };
          locale = l;
        }
      }
    } else if (!p.startsWith('c:') && !p.startsWith('T')) {
      // Container ids (c:) and timestamps (T) of the DogStatsD extensions are accepted and ignored.
      return { ok: false, field: 'section', reason: `unknown section ${JSON.stringify(p)}` };
    }
  }
  return { ok: true, name, value, locale };
}

export class StatsdListener {
  private sock: Socket | null = null;
  private datagrams = 0;

  constructor(
    private readonly counters: DriverCounters,
    private readonly defaultLocale: string,
    private readonly onTags: (records: SmartRecord[]) => void,
  ) {}

  /** Binds to a loopback UDP port (0 = any free one); returns the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const sock = await bindUdp(port, host, (msg) => this.onDatagram(msg));
    this.sock = sock;
    return sock.address().port;
  }

  async close(): Promise<void> {
    const s = this.sock;
    this.sock = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onDatagram(msg: Buffer): void {
    const no = ++this.datagrams;
    this.counters.packets++;
    if (msg.length > MAX_DATAGRAM) {
      countReject(this.counters, 'oversized', `statsd datagram ${no}: ${msg.length} bytes`);
      return;
    }
    const time = nowMicros();
    const records: SmartRecord[] = [];
    const lines = msg.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      if (line === '') continue;
      const p = parseStatsdLine(line);
      if (!p.ok) {
        countReject(this.counters, 'statsd', `statsd datagram ${no} line ${i + 1}: field ${p.field}: ${p.reason}`);
        continue;
      }
      records.push({ time, locale: p.locale ?? this.defaultLocale, kind: 'tag', name: p.name, value: p.value });
    }
    if (records.length) this.onTags(records);
  }
}
