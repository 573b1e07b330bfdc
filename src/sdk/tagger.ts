// The application-side Tagger: `tag()` writes into a preallocated ring (typed arrays, names interned per
// tagger, no allocation) and never blocks or throws; batches are flushed by size and by timer to the driver.
// `tagAndWait()` carries a request id and resolves with the driver's reply or a timeout, or at once ('no-action') below
// the act-above value the driver pushed for that tag name, or with the controller's standing decision for that
// name (hints only, kept until the next act-above table); hints arrive via onHint (as hint packets, or inside the
// reply to the app's own Tag).

import { identifierProblem } from '../protocol/record.ts';
import {
  FRAME_PREFIX_BYTES,
  HEADER_BYTES,
  MAX_IDENTIFIER_BYTES,
  MAX_NAMES_PER_PACKET,
  MAX_PACKET_BYTES,
  PacketType,
  RECORD_BYTES,
  ReplyStatus,
  writeBatchPacket,
  writeRecord,
  type DecodedPacket,
  type WireActionReply,
  type WireHint,
} from '../protocol/wire.ts';
import { nowMicros } from './clock.ts';
import { parseEndpoint } from './endpoint.ts';
import { openTransport, type Transport } from './transport.ts';

export interface TaggerOptions {
  /** The app's locale (e.g. `app:web-1` or a flow). Omitted: the driver stamps its own. */
  locale?: string;
  /** `unix:/path`, `/path` or `udp://127.0.0.1:PORT`; default $SMARTTAGS_ENDPOINT or /tmp/smarttags-driver.sock. */
  endpoint?: string;
  /** Ring capacity in records, rounded up to a power of two (default 16384). */
  capacity?: number;
  /** Flush as soon as this many records wait (default 512). */
  batchSize?: number;
  /** A record waits at most this long before it is flushed (default 5 ms); an idle tagger sets no timer. */
  flushIntervalMs?: number;
  /** Bytes queued in the socket beyond which the driver counts as slow and batches are dropped (default 1 MiB). */
  maxPendingBytes?: number;
  /** Delay between reconnection attempts to an absent driver (default 250 ms). */
  reconnectMs?: number;
  /** Most distinct tag names (default 4096). */
  maxNames?: number;
  /**
   * Tags that may reuse one clock reading within the same synchronous run of the app (default 15; 0 = read the
   * clock for every tag). The first tag of every event-loop turn or after an `await` reads the clock; reuse only
   * spares the ~50-130 ns clock read in bursts, and a reused time is older than the truth by at most the time the
   * app spent between those tags. Reuse starts only in a burst (a reading within BURST_US of the previous one):
   * ending it takes a microtask, which costs a lone tag after idle more than the clock read it would spare.
   */
  clockReuse?: number;
}

export interface TaggerStats {
  /** Tags accepted into the ring. */
  tagged: number;
  /** Tags that left in a packet. */
  sent: number;
  packets: number;
  /** Tags dropped because the ring was full while the driver was connected (app faster than the socket). */
  droppedFull: number;
  /** Tags dropped because the ring was full while no driver was connected. */
  droppedNoDriver: number;
  /** Tags dropped because the driver did not drain its socket. */
  droppedSlowDriver: number;
  /** tag() calls refused: bad name, non-finite value or too many distinct names. */
  rejected: number;
  replies: number;
  hints: number;
  /** tagAndWait calls answered locally: the value was below the driver's act-above value for the tag name. */
  noAction: number;
  /** tagAndWait calls answered locally with the controller's standing decision for the tag name. */
  standing: number;
  /** Act-above tables received from the driver. */
  thresholdTables: number;
  /** Packets from the driver that failed to decode. */
  badPackets: number;
}

export type WaitResult =
  /** `local`: answered from the controller's standing decision for this tag name, without a round trip. */
  | { status: 'decided'; reply: WireActionReply; waitedUs: number; local?: boolean }
  /** The driver has no signature for this Tag: nothing to wait for (the Tag went to identification). */
  | { status: 'no-signature'; waitedUs: number }
  /** The value is below where any signature of this tag name acts (driver's act-above table): no round trip made. */
  | { status: 'no-action'; waitedUs: number }
  | { status: 'failed' | 'rejected'; message: string; waitedUs: number }
  | { status: 'timeout' | 'no-driver' | 'dropped'; waitedUs: number };

export interface Tagger {
  /** Records a Tag; value defaults to 1. Never blocks, never throws. */
  tag(name: string, value?: number): void;
  /** Records an actionable Tag and resolves when the rules it triggers are in place (or with why not). */
  tagAndWait(name: string, value?: number, opts?: { timeoutMs?: number }): Promise<WaitResult>;
  /**
   * Whether a tagAndWait of this value would be decided by the controller: false when the driver's act-above
   * table says the value is below where the learned signature makes the Event likely (then it resolves no-action).
   */
  actsOn(name: string, value: number): boolean;
  /** Registers a callback for hints the controller sends to this app's locale; returns an unsubscribe. */
  onHint(cb: (hint: WireHint) => void): () => void;
  /** Sends what the ring holds now. */
  flush(): void;
  /** Flushes and closes the connection; pending waits resolve as timeouts at their deadline. */
  close(): Promise<void>;
  readonly stats: Readonly<TaggerStats>;
  readonly connected: boolean;
}

const utf8 = new TextEncoder();
/** Clock readings this close (us) are a burst of tags, where sharing one reading pays. */
const BURST_US = 10;

interface Waiter {
  resolve: (r: WaitResult) => void;
  start: number;
  /** performance.now() in ms after which the wait resolves as a timeout. */
  deadline: number;
  /** Act-above tables received when the wait was sent: a reply decided under an older table does not stand. */
  tables: number;
}

class RingTagger implements Tagger {
  readonly stats: TaggerStats = {
    tagged: 0, sent: 0, packets: 0, droppedFull: 0, droppedNoDriver: 0, droppedSlowDriver: 0,
    rejected: 0, replies: 0, hints: 0, noAction: 0, standing: 0, thresholdTables: 0, badPackets: 0,
  };
  private readonly cap: number;
  private readonly mask: number;
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private readonly nameIds: Uint32Array;
  private readonly reqIds: Uint32Array;
  private head = 0;
  private tail = 0;
  private readonly ids = new Map<string, number>();
  /** One-entry cache in front of `ids`: apps often repeat a name, and a string identity check is cheaper. */
  private lastName: string | null = null;
  private lastId = 0;
  private readonly encodedNames: Uint8Array[] = [];
  /** Per-flush mapping from tagger name id to packet name index, valid where stamp === flushStamp. */
  private localIndex: Int32Array;
  private localStamp: Uint32Array;
  private stamp = 0;
  private readonly packetNames: Uint8Array[] = [];
  private readonly locale: Uint8Array;
  private readonly batchSize: number;
  private readonly maxNames: number;
  private seq = 0;
  private nextRequest = 1;
  private readonly clockReuse: number;
  private clockNow = 0;
  private clockLeft = 0;
  private clockInvalidation = false;
  private readonly invalidateClock = () => {
    this.clockLeft = 0;
    this.clockInvalidation = false;
  };
  private readonly waiters = new Map<number, Waiter>();
  /**
   * One timer for all waits, due at the earliest deadline (no timer created and cleared per tagAndWait); it holds
   * the process open only while some wait is pending.
   */
  private waitTimer: NodeJS.Timeout | null = null;
  private waitTimerAt = Infinity;
  private readonly hintHandlers = new Set<(h: WireHint) => void>();
  /** The driver's act-above value per tag name for this connection (null = always ask); cleared on reconnection. */
  private actAbove = new Map<string, number | null>();
  /** Standing decisions by tag name (ActionReply.standing), dropped with every new act-above table. */
  private standing = new Map<string, WireActionReply>();
  private readonly transport: Transport;
  /** The flush timer: armed (refreshed) by the first record into an empty ring, so an idle app is never woken. */
  private readonly timer: NodeJS.Timeout;
  private flushArmed = false;
  private closed = false;

  constructor(opts: TaggerOptions) {
    if (opts.locale !== undefined) {
      const problem = identifierProblem(opts.locale);
      if (problem) throw new RangeError(`createTagger: locale ${problem}`);
    }
    this.locale = utf8.encode(opts.locale ?? '');
    this.cap = 1 << Math.ceil(Math.log2(Math.max(16, opts.capacity ?? 16384)));
    this.mask = this.cap - 1;
    this.times = new Float64Array(this.cap);
    this.values = new Float64Array(this.cap);
    this.nameIds = new Uint32Array(this.cap);
    this.reqIds = new Uint32Array(this.cap);
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 512, this.cap));
    this.maxNames = Math.max(1, opts.maxNames ?? 4096);
    this.clockReuse = Math.max(0, Math.floor(opts.clockReuse ?? 15));
    this.localIndex = new Int32Array(64);
    this.localStamp = new Uint32Array(64);
    const endpoint = parseEndpoint(opts.endpoint);
    this.transport = openTransport(endpoint, opts.maxPendingBytes ?? 1 << 20, opts.reconnectMs ?? 250, {
      onPacket: (p) => this.onPacket(p),
      onBadPacket: () => this.stats.badPackets++,
      wantsHints: () => this.hintHandlers.size > 0,
      onHintUnread: () => this.stats.hints++,
      onConnect: () => {
        this.actAbove = new Map();
        this.standing = new Map();
        this.announce();
      },
    });
    this.timer = setTimeout(this.flushTick, Math.max(1, opts.flushIntervalMs ?? 5));
    this.timer.unref();
    this.flushArmed = true;
  }

  get connected(): boolean {
    return this.transport.connected;
  }

  tag(name: string, value = 1): void {
    let id: number | undefined = this.lastId;
    if (name !== this.lastName) {
      id = this.ids.get(name);
      if (id === undefined) {
        id = this.intern(name);
        if (id < 0) return;
      }
      this.lastName = name;
      this.lastId = id;
    }
    if (!Number.isFinite(value)) {
      this.stats.rejected++;
      return;
    }
    if (this.head - this.tail >= this.cap) {
      if (this.transport.connected) this.stats.droppedFull++;
      else this.stats.droppedNoDriver++;
      return;
    }
    const i = this.head & this.mask;
    this.times[i] = this.clockLeft-- > 0 ? this.clockNow : this.readClock();
    this.values[i] = value;
    this.nameIds[i] = id;
    this.reqIds[i] = 0;
    this.head++;
    this.stats.tagged++;
    if (this.head - this.tail >= this.batchSize) this.flush();
    else if (!this.flushArmed) {
      this.flushArmed = true;
      this.timer.refresh();
    }
  }

  /** The flush timer's turn: sends what waits; re-arms while records stay (no driver, or a slow one). */
  private readonly flushTick = (): void => {
    this.flushArmed = false;
    this.flush();
    if (this.head > this.tail && !this.closed) {
      this.flushArmed = true;
      this.timer.refresh();
    }
  };

  actsOn(name: string, value: number): boolean {
    const actAbove = this.actAbove.get(name);
    return !(actAbove != null && value < actAbove);
  }

  tagAndWait(name: string, value = 1, opts: { timeoutMs?: number } = {}): Promise<WaitResult> {
    const start = nowMicros();
    let id = this.ids.get(name);
    if (id === undefined) id = this.intern(name);
    if (id < 0 || !Number.isFinite(value)) {
      if (id >= 0) this.stats.rejected++;
      return Promise.resolve({ status: 'rejected', message: `invalid tag name or value: ${JSON.stringify(name)}=${value}`, waitedUs: nowMicros() - start });
    }
    if (!this.transport.connected || this.closed) return Promise.resolve({ status: 'no-driver', waitedUs: nowMicros() - start });
    const actAbove = this.actAbove.get(name);
    if (actAbove != null && value < actAbove) {
      this.tag(name, value);
      this.stats.noAction++;
      return Promise.resolve({ status: 'no-action', waitedUs: nowMicros() - start });
    }
    const standing = actAbove !== undefined ? this.standing.get(name) : undefined;
    if (standing) {
      // The controller said its decision holds for every value to act on: take it, and emit the Tag (its hints
      // also come as hint packets). Hints keep the life they had, counted from this Tag.
      this.tag(name, value);
      this.stats.standing++;
      const shift = start - standing.tag.time;
      const tag = { time: start, locale: standing.tag.locale, kind: standing.tag.kind, name, value };
      const hints = standing.hints.map((h) => ({ ...h, expiresAt: h.expiresAt + shift }));
      return Promise.resolve({ status: 'decided', reply: { tag, rules: [], hints, standing: true }, waitedUs: nowMicros() - start, local: true });
    }
    if (this.head - this.tail >= this.cap) {
      this.stats.droppedFull++;
      return Promise.resolve({ status: 'dropped', waitedUs: nowMicros() - start });
    }
    const requestId = this.nextRequest;
    this.nextRequest = this.nextRequest >= 0xffffffff ? 1 : this.nextRequest + 1;
    const i = this.head & this.mask;
    this.times[i] = start;
    this.values[i] = value;
    this.nameIds[i] = id;
    this.reqIds[i] = requestId;
    this.head++;
    this.stats.tagged++;
    const deadline = performance.now() + (opts.timeoutMs ?? 1000);
    const promise = new Promise<WaitResult>((resolve) => {
      this.waiters.set(requestId, { resolve, start, deadline, tables: this.stats.thresholdTables });
    });
    if (deadline < this.waitTimerAt) this.armWaitTimer(deadline);
    else this.waitTimer!.ref();
    this.flush();
    return promise;
  }

  private armWaitTimer(at: number): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimerAt = at;
    this.waitTimer = setTimeout(this.expireWaits, Math.max(0, at - performance.now()));
  }

  /** Resolves the waits whose deadline passed as timeouts; re-arms for the earliest one left. */
  private readonly expireWaits = (): void => {
    this.waitTimer = null;
    this.waitTimerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [id, w] of this.waiters) {
      if (w.deadline <= now) {
        this.waiters.delete(id);
        w.resolve({ status: 'timeout', waitedUs: nowMicros() - w.start });
      } else if (w.deadline < next) next = w.deadline;
    }
    if (next < Infinity) this.armWaitTimer(next);
  };

  onHint(cb: (hint: WireHint) => void): () => void {
    this.hintHandlers.add(cb);
    return () => this.hintHandlers.delete(cb);
  }

  flush(): void {
    try {
      while (this.head > this.tail && this.transport.connected) {
        if (!this.sendPacket()) break;
      }
    } catch {
      // A bug in encoding must never reach the app: the ring is dropped and counted instead.
      this.stats.droppedFull += this.head - this.tail;
      this.tail = this.head;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    await this.transport.close();
  }

  /** Encodes as many ring records as fit one packet and sends it. Returns false when the driver is slow. */
  private sendPacket(): boolean {
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.localStamp.fill(0);
      this.stamp = 1;
    }
    let names = 0;
    let bytes = HEADER_BYTES + 2 + this.locale.length + 2 + 2;
    let n = 0;
    for (let r = this.tail; r < this.head; r++, n++) {
      const id = this.nameIds[r & this.mask]!;
      const fresh = this.localStamp[id] !== this.stamp;
      const extra = RECORD_BYTES + (fresh ? 2 + this.encodedNames[id]!.length : 0);
      if (bytes + extra > MAX_PACKET_BYTES || (fresh && names === MAX_NAMES_PER_PACKET)) break;
      if (fresh) {
        this.localStamp[id] = this.stamp;
        this.localIndex[id] = names;
        this.packetNames[names++] = this.encodedNames[id]!;
      }
      bytes += extra;
    }
    const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + bytes);
    const tail = this.tail;
    writeBatchPacket(out, FRAME_PREFIX_BYTES, this.seq, this.locale, this.packetNames, names, n, (view, o, k) => {
      const i = (tail + k) & this.mask;
      writeRecord(view, o, this.times[i]!, this.values[i]!, this.localIndex[this.nameIds[i]!]!, 'tag', this.reqIds[i]!);
    });
    const outcome = this.transport.send(out);
    this.tail += n;
    if (outcome === 'sent') {
      this.seq = (this.seq + 1) >>> 0;
      this.stats.sent += n;
      this.stats.packets++;
      return true;
    }
    if (outcome === 'slow-driver') this.stats.droppedSlowDriver += n;
    else this.stats.droppedNoDriver += n;
    return false;
  }

  /**
   * Reads the clock; in a burst (this reading within BURST_US of the previous one) lets the next `clockReuse` tags
   * of this synchronous run share it, and queues the microtask that ends the sharing with the run. A lone tag queues
   * nothing: the first microtask after the app was idle costs ~15-20 us here, a clock read ~0.1-1 us.
   */
  private readClock(): number {
    const t = nowMicros();
    if (this.clockReuse > 0 && t - this.clockNow < BURST_US) {
      this.clockLeft = this.clockReuse;
      if (!this.clockInvalidation) {
        this.clockInvalidation = true;
        queueMicrotask(this.invalidateClock);
      }
    } else this.clockLeft = 0;
    this.clockNow = t;
    return t;
  }

  /** An empty batch tells the driver this connection's locale (so hints can reach it) before any Tag. */
  private announce(): void {
    const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + HEADER_BYTES + 2 + this.locale.length + 4);
    writeBatchPacket(out, FRAME_PREFIX_BYTES, this.seq, this.locale, [], 0, 0, () => undefined);
    if (this.transport.send(out) === 'sent') this.seq = (this.seq + 1) >>> 0;
    this.flush();
  }

  private intern(name: string): number {
    const problem = typeof name === 'string' ? identifierProblem(name) : 'not a string';
    const encoded = problem ? null : utf8.encode(name);
    if (!encoded || encoded.length > MAX_IDENTIFIER_BYTES || this.encodedNames.length >= this.maxNames) {
      this.stats.rejected++;
      return -1;
    }
    const id = this.encodedNames.length;
    this.encodedNames.push(encoded);
    this.ids.set(name, id);
    if (id >= this.localIndex.length) {
      const grownIndex = new Int32Array(this.localIndex.length * 2);
      grownIndex.set(this.localIndex);
      this.localIndex = grownIndex;
      const grownStamp = new Uint32Array(this.localStamp.length * 2);
      grownStamp.set(this.localStamp);
      this.localStamp = grownStamp;
    }
    return id;
  }

  private onPacket(p: DecodedPacket): void {
    if (p.type === PacketType.reply) {
      // Hints the driver sent to this app only inside the reply (its own Tag's): to the listeners first, as a hint
      // packet would have been, also when the wait is over.
      const only = p.reply.hintsOnlyInReply;
      if (only && p.reply.reply) for (const i of only) this.emitHint(p.reply.reply.hints[i]!);
      const w = this.waiters.get(p.reply.requestId);
      if (!w) return;
      this.stats.replies++;
      this.waiters.delete(p.reply.requestId);
      if (this.waiters.size === 0) this.waitTimer?.unref();
      const waitedUs = nowMicros() - w.start;
      const r = p.reply;
      if (r.status === ReplyStatus.decided && r.reply) {
        if (r.reply.standing === true && w.tables === this.stats.thresholdTables && this.actAbove.has(r.reply.tag.name)) this.standing.set(r.reply.tag.name, r.reply);
        w.resolve({ status: 'decided', reply: r.reply, waitedUs });
      }
      else if (r.status === ReplyStatus.noSignature) w.resolve({ status: 'no-signature', waitedUs });
      else w.resolve({ status: 'failed', message: r.message ?? 'no reason given', waitedUs });
    } else if (p.type === PacketType.thresholds) {
      this.stats.thresholdTables++;
      const table = new Map<string, number | null>();
      for (const t of p.thresholds.thresholds) table.set(t.name, t.actAbove);
      this.actAbove = table;
      this.standing = new Map();
    } else if (p.type === PacketType.hint) this.emitHint(p.hint);
  }

  private emitHint(hint: WireHint): void {
    this.stats.hints++;
    for (const cb of this.hintHandlers) {
      try {
        cb(hint);
      } catch {
        // An app's hint handler must not break delivery to the others.
      }
    }
  }
}

/** Creates a tagger connected (in the background) to the local driver. Throws only on invalid options. */
export function createTagger(opts: TaggerOptions = {}): Tagger {
  return new RingTagger(opts);
}
