// The NATS bus: the Bus contract across machines. Durable subjects (records, by default) go through a
// JetStream file stream with publisher acks, retries with de-duplication ids and a durable pull consumer, so no
// accepted record is lost while the engine restarts; everything else is core NATS (publish, request/reply).
// A durable message whose handler is still working is held once: marked in progress so the server does not
// redeliver it, and a copy the server sends anyway is answered with it, not handed to the handler again.

import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { handlerPromise, type Bus, type Handler, type Responder } from './bus.ts';
import { SUBJECTS } from './messages.ts';

export interface NatsBusOptions {
  servers: string | string[];
  /** Subjects carried by JetStream (default [SUBJECTS.records]). */
  durableSubjects?: string[];
  /** Stream holding the durable subjects (default SMARTTAGS). */
  stream?: string;
  /** Durable consumer name used by subscribe() on durable subjects (default "engine"). One consumer per subject. */
  consumerName?: string;
  /** How long a delivered, unacknowledged durable message waits before redelivery, e.g. after its consumer crashed (default 30 s). */
  ackWaitMs?: number;
  /**
   * How often a durable message whose handler's promise is pending is marked as in progress (JetStream
   * `working()`), which restarts its ackWait so the server does not redeliver it (default ackWaitMs / 2; 0 = never).
   */
  workingIntervalMs?: number;
  /** Stream limits: bytes kept (default 1 GiB) and age (default 24 h). */
  maxBytes?: number;
  maxAgeMs?: number;
  /** Publications waiting for a JetStream ack at most; beyond, new ones are dropped and counted (default 10000). */
  maxPendingPublishes?: number;
  /** Connection name shown by the server. */
  name?: string;
}

export interface NatsBusCounters {
  published: number;
  /** Durable publications acknowledged by JetStream. */
  acked: number;
  /** Durable publications retried after an error or timeout. */
  retries: number;
  /** Publications dropped: durable ones because too many waited for acks, core ones on a closed connection. */
  dropped: number;
  delivered: number;
  handlerErrors: number;
  /** Durable messages handed back for redelivery because their handler's promise rejected. */
  redeliveries: number;
  /** Copies of a durable message the server sent again while its handler's promise was pending: answered with it, not handed over again. */
  redeliveriesAbsorbed: number;
  /** Messages that were not valid JSON. */
  badMessages: number;
}

interface Outgoing {
  subject: string;
  data: string;
  msgID: string;
}

type Envelope<R> = { ok: R } | { error: string };

export class NatsBus implements Bus {
  readonly counters: NatsBusCounters = { published: 0, acked: 0, retries: 0, dropped: 0, delivered: 0, handlerErrors: 0, redeliveries: 0, redeliveriesAbsorbed: 0, badMessages: 0 };
  private readonly durable: Set<string>;
  private readonly stream: string;
  private readonly consumerName: string;
  private readonly maxPending: number;
  private readonly ackWaitMs: number;
  private readonly workingIntervalMs: number;
  private readonly instance = randomBytes(6).toString('hex');
  private publishNo = 0;
  private readonly outbox: Outgoing[] = [];
  private pumping: Promise<void> | null = null;
  private readonly subs = new Set<Subscription>();
  private readonly consumers = new Set<{ stop: () => void; done: Promise<void>; pending: ReadonlyMap<number, JsMsg> }>();
  private readonly responders = new Map<string, Subscription>();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    opts: NatsBusOptions,
  ) {
    this.durable = new Set(opts.durableSubjects ?? [SUBJECTS.records]);
    this.stream = opts.stream ?? 'SMARTTAGS';
    this.consumerName = opts.consumerName ?? 'engine';
    this.maxPending = opts.maxPendingPublishes ?? 10_000;
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.workingIntervalMs = opts.workingIntervalMs ?? this.ackWaitMs / 2;
  }

  /** Connects and makes sure the stream for the durable subjects exists. */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({ servers: opts.servers, name: opts.name ?? 'smarttags', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      const jsm = await jetstreamManager(nc);
      const bus = new NatsBus(nc, jetstream(nc), jsm, opts);
      await bus.ensureStream(opts);
      return bus;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  private async ensureStream(opts: NatsBusOptions): Promise<void> {
    const cfg = {
      name: this.stream,
      subjects: [...this.durable],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_bytes: opts.maxBytes ?? 1 << 30,
      max_age: (opts.maxAgeMs ?? 86_400_000) * 1_000_000,
      duplicate_window: 120 * 1_000_000_000,
    };
    try {
      await this.jsm.streams.info(this.stream);
      await this.jsm.streams.update(this.stream, cfg);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await this.jsm.streams.add(cfg);
    }
  }

  publish<T>(subject: string, msg: T): void {
    if (this.closed) return;
    const data = JSON.stringify(msg);
    this.counters.published++;
    if (!this.durable.has(subject)) {
      try {
        this.nc.publish(subject, data);
      } catch {
        // The connection is closed or draining: a core publication is lost, and counted.
        this.counters.dropped++;
      }
      return;
    }
    if (this.outbox.length >= this.maxPending) {
      this.counters.dropped++;
      return;
    }
    this.outbox.push({ subject, data, msgID: `${this.instance}-${++this.publishNo}` });
    if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = null));
  }

  /** Durable publications still waiting for a JetStream ack. */
  get pendingPublishes(): number {
    return this.outbox.length;
  }

  /** Sends queued durable publications in order, each retried (same msgID, de-duplicated) until acknowledged. */
  private async pump(): Promise<void> {
    while (this.outbox.length > 0 && !this.closed) {
      const window = this.outbox.slice(0, 64);
      const results = await Promise.allSettled(window.map((o) => this.js.publish(o.subject, o.data, { msgID: o.msgID, timeout: 5000 })));
      let done = 0;
      for (const r of results) {
        if (r.status !== 'fulfilled') break;
        done++;
      }
      this.outbox.splice(0, done);
      this.counters.acked += done;
      if (done < window.length) {
        this.counters.retries++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  subscribe<T>(subject: string, handler: Handler<T>): () => void {
    if (this.durable.has(subject)) return this.consumeDurable(subject, handler);
    const sub = this.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        this.deliver(handler, () => m.json<T>());
      },
    });
    this.subs.add(sub);
    return () => {
      this.subs.delete(sub);
      sub.unsubscribe();
    };
  }

  /** Parses and hands a message to `handler`; returns the handler's promise when it gave one. */
  private deliver<T>(handler: Handler<T>, parse: () => T): PromiseLike<unknown> | null {
    let msg: T;
    try {
      msg = parse();
    } catch {
      this.counters.badMessages++;
      return null;
    }
    this.counters.delivered++;
    try {
      return handlerPromise(handler(msg));
    } catch {
      this.counters.handlerErrors++;
      return null;
    }
  }

  /** Durable messages whose handler's promise is pending (each held once however often the server sent it). */
  get pendingDeliveries(): number {
    let n = 0;
    for (const c of this.consumers) n += c.pending.size;
    return n;
  }

  /**
   * A durable pull consumer: a message is acknowledged after its handler returned, or after the promise it
   * returned resolved (a rejection asks for redelivery in a second), so a restart resumes where it stood.
   * While the promise is pending the message is marked in progress every workingIntervalMs; a copy the
   * server sends anyway (same stream sequence) becomes the delivery answered and is not handed over again,
   * so what this consumer holds is bounded by the messages it has in hand, not by their redeliveries.
   */
  private consumeDurable<T>(subject: string, handler: Handler<T>): () => void {
    let messages: ConsumerMessages | null = null;
    let stopped = false;
    const name = `${this.consumerName}-${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    // A late answer on a closed connection is lost; the server redelivers the message after ackWait.
    const answer = (send: () => void) => {
      try {
        send();
      } catch {
        this.counters.handlerErrors++;
      }
    };
    /** Latest delivery of each message whose handler's promise is pending, by stream sequence. */
    const pending = new Map<number, JsMsg>();
    const working = this.workingIntervalMs > 0 ? setInterval(() => pending.forEach((m) => answer(() => m.working())), this.workingIntervalMs) : null;
    working?.unref();
    const settle = (seq: number, ok: boolean) => {
      const m = pending.get(seq)!;
      pending.delete(seq);
      if (ok) answer(() => m.ack());
      else {
        this.counters.redeliveries++;
        answer(() => m.nak(1000));
      }
    };
    const done = (async () => {
      await this.jsm.consumers.add(this.stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
        ack_wait: this.ackWaitMs * 1_000_000,
      });
      const consumer = await this.js.consumers.get(this.stream, name);
      while (!stopped && !this.closed) {
        messages = await consumer.consume({ max_messages: 256 });
        if (stopped) messages.stop();
        for await (const m of messages) {
          if (pending.has(m.seq)) {
            pending.set(m.seq, m);
            this.counters.redeliveriesAbsorbed++;
            continue;
          }
          const settled = this.deliver(handler, () => m.json<T>());
          if (!settled) {
            m.ack();
            continue;
          }
          pending.set(m.seq, m);
          settled.then(
            () => settle(m.seq, true),
            () => settle(m.seq, false),
          );
        }
      }
    })().catch(() => {
      // The connection closed or the consumer was removed: nothing more to deliver.
    });
    const entry = {
      stop: () => {
        stopped = true;
        if (working) clearInterval(working);
        messages?.stop();
      },
      done,
      pending,
    };
    this.consumers.add(entry);
    return () => {
      entry.stop();
      this.consumers.delete(entry);
    };
  }

  async request<Q, R>(subject: string, req: Q, timeoutMs: number): Promise<R> {
    if (this.closed) throw new Error(`bus closed; no request on ${subject}`);
    let m;
    try {
      m = await this.nc.request(subject, JSON.stringify(req), { timeout: timeoutMs });
    } catch (err) {
      const e = err as Error;
      if (/timeout/i.test(e.message)) throw new Error(`request on ${subject} timed out after ${timeoutMs} ms`);
      throw new Error(`no responder for ${subject}: ${e.message}`);
    }
    const env = m.json<Envelope<R>>();
    if ('error' in env) throw new Error(env.error);
    return env.ok;
  }

  respond<Q, R>(subject: string, responder: Responder<Q, R>): () => void {
    if (this.responders.has(subject)) throw new Error(`a responder for ${subject} exists already`);
    const sub = this.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        Promise.resolve()
          .then(() => responder(m.json<Q>()))
          .then(
            (ok) => m.respond(JSON.stringify({ ok })),
            (e: Error) => m.respond(JSON.stringify({ error: e?.message ?? String(e) })),
          );
      },
    });
    this.responders.set(subject, sub);
    return () => {
      this.responders.delete(subject);
      sub.unsubscribe();
    };
  }

  /** Waits (up to timeoutMs) until queued durable publications are acknowledged; true when none is left. */
  async flushDurable(timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.outbox.length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.outbox.length === 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushDurable();
    this.closed = true;
    for (const c of this.consumers) c.stop();
    await Promise.all([...this.consumers].map((c) => c.done));
    this.consumers.clear();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
