// The SmartTags driver (S.D., paper 3.4.1): its Tag Monitor receives batches from local apps (SDK socket,
// UDP, StatsD), stamps missing locales and checks the local signature database: a Tag with a signature goes
// to the controller (action phase, reply to a waiting app), everything goes to the engine (identification).

import type { Bus } from '../bus/bus.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type Hint, type SignaturesUpdate } from '../bus/messages.ts';
import { actAboveOf } from '../engine/extent-eval.ts';
import type { Signature } from '../engine/signature.ts';
import type { SmartRecord } from '../protocol/record.ts';
import { ReplyStatus, type DecodedBatch, type ThresholdsBody, type WireActionReply, type WireHint } from '../protocol/wire.ts';
import { AppListener, type AppSource } from './app-listener.ts';
import type { Collector } from './collectors/collector.ts';
import { countDrop, newCounters, type DriverCounters } from './counters.ts';
import { RecordForwarder, type ForwarderOptions } from './record-forwarder.ts';
import { SignatureDb } from './signature-db.ts';
import { StatsdListener } from './statsd.ts';

// The SDK's wire shapes and the bus messages must stay interchangeable (compile-time check, both ways).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const wireMatchesBus: [Same<WireActionReply, ActionReply>, Same<WireHint, Hint>] = [true, true];
void wireMatchesBus;

export interface DriverLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DriverOptions {
  id: string;
  /** Locales this driver serves; the first is stamped on records that come without one. `prefix*` and "*" match many. */
  locales: string[];
  bus: Bus;
  /** Unix socket path for SDK batches; absent = no Unix socket. */
  socketPath?: string;
  /** UDP loopback port for SDK batches; 0 = any free port; absent = off. */
  udpPort?: number;
  /** StatsD UDP loopback port; 0 = any free port; absent = off. */
  statsdPort?: number;
  collectors?: Collector[];
  /** The local signature database (created from `locales` when absent). */
  signatures?: SignatureDb;
  forwarder?: Omit<ForwarderOptions, 'driver'>;
  /** How long the controller may take to decide on a Tag (default 1000 ms). */
  actionTimeoutMs?: number;
  /** Action requests in flight at most; beyond, Tags are not acted on and counted (default 1024). */
  maxInflightActions?: number;
  /**
   * Also send Tags that have a signature to the engine (default true): re-learning must keep seeing them, or the
   * next learn run would lose the signature it is acting on.
   */
  forwardActionTagsToEngine?: boolean;
  /**
   * Event probability from which a signature's Tag may lead to an action (default 0.5, the controller's default
   * minEventProbability): below the value where a signature's extent reaches it, apps answer `tagAndWait` themselves.
   */
  actionProbability?: number;
  logger?: DriverLogger;
}

/** A Tag the controller decides on: the app waiting for it (if any), and the hints held for that app's reply. */
interface PendingAction {
  source: AppSource | null;
  requestId: number;
  /** Until the controller's call returns or answers: hints published for the app's locale are held. */
  deciding: boolean;
  held: Hint[] | null;
}

export class Driver {
  readonly id: string;
  readonly counters: DriverCounters = newCounters();
  readonly signatures: SignatureDb;
  private readonly defaultLocale: string;
  private readonly bus: Bus;
  private readonly forwarder: RecordForwarder;
  private readonly apps: AppListener;
  private readonly statsd: StatsdListener;
  private readonly collectors: Collector[];
  private readonly hintSubs = new Map<string, () => void>();
  private readonly unsubs: (() => void)[] = [];
  private inflight = 0;
  /**
   * While the controller decides synchronously on a Tag an app waits for (in-process bus): that app, and the hints
   * published meanwhile for its locale. They reach it in the reply only, one packet instead of hint + reply.
   */
  private deciding: AppSource | null = null;
  private held: Hint[] | null = null;
  private readonly actionProbability: number;
  private started = false;
  private stopped = false;
  /** Bound ports after start(). */
  udpPort: number | null = null;
  statsdPort: number | null = null;

  constructor(private readonly opts: DriverOptions) {
    if (opts.locales.length === 0) throw new RangeError(`driver ${opts.id}: locales: at least one locale is needed`);
    this.id = opts.id;
    this.bus = opts.bus;
    this.defaultLocale = opts.locales[0]!;
    if (this.defaultLocale.includes('*')) throw new RangeError(`driver ${opts.id}: locales[0]: the default locale cannot be a pattern`);
    this.signatures = opts.signatures ?? new SignatureDb(opts.locales);
    const p = opts.actionProbability ?? 0.5;
    if (!(p > 0 && p < 1)) throw new RangeError(`driver ${opts.id}: actionProbability: must be in (0, 1), got ${p}`);
    this.actionProbability = p;
    this.collectors = opts.collectors ?? [];
    this.forwarder = new RecordForwarder(this.bus, this.counters, { ...opts.forwarder, driver: opts.id });
    this.apps = new AppListener(this.counters, this.defaultLocale, {
      onBatch: (b, s) => this.onBatch(b, s),
      onLocaleAdded: (l) => {
        this.signatures.addLocale(l);
        this.counters.signatures = this.signatures.size;
        this.subscribeHints(l);
      },
      onLocaleRemoved: (l) => {
        this.hintSubs.get(l)?.();
        this.hintSubs.delete(l);
      },
      onAppLocale: (source) => this.sendThresholds(source, this.thresholdsFor(source.locale)),
    });
    this.statsd = new StatsdListener(this.counters, this.defaultLocale, (records) => this.ingestTags(records));
  }

  async start(): Promise<void> {
    if (this.started) throw new Error(`driver ${this.id} started twice`);
    this.started = true;
    this.unsubs.push(this.bus.subscribe<SignaturesUpdate>(SUBJECTS.signatures, (u) => this.applySignatures(u)));
    this.loadCurrentSignatures();
    if (this.opts.socketPath) await this.apps.listenUnix(this.opts.socketPath);
    if (this.opts.udpPort !== undefined) this.udpPort = await this.apps.listenUdp(this.opts.udpPort);
    if (this.opts.statsdPort !== undefined) this.statsdPort = await this.statsd.listen(this.opts.statsdPort);
    for (const c of this.collectors) {
      const onError = (err: Error) => {
        // Counted every time; logged the first time and then every 1000th, so a broken 1 ms collector cannot flood the log.
        if (this.counters.collectorErrors++ % 1000 === 0) this.opts.logger?.warn({ driver: this.id, collector: c.name, err: err.message, errors: this.counters.collectorErrors }, 'collector sample failed');
      };
      await c.start((events) => this.ingestEvents(events), onError).catch((err: Error) => {
        throw new Error(`driver ${this.id}: collector ${c.name} cannot start: ${err.message}`);
      });
    }
    this.opts.logger?.info({ driver: this.id, socket: this.opts.socketPath, udpPort: this.udpPort, statsdPort: this.statsdPort, collectors: this.collectors.map((c) => c.name) }, 'driver started');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.collectors) await c.stop();
    await this.apps.close();
    await this.statsd.close();
    for (const u of this.unsubs) u();
    for (const u of this.hintSubs.values()) u();
    this.hintSubs.clear();
    this.forwarder.close();
  }

  /** Tags from an in-process source (StatsD, tests): validated upstream, routed like SDK tags. */
  ingestTags(records: SmartRecord[]): void {
    this.route(records, null, null);
  }

  /** Events from collectors: always to the engine. */
  ingestEvents(events: SmartRecord[]): void {
    this.counters.eventsReceived += events.length;
    this.forwarder.push(events);
  }

  /** Records waiting to be published to the engine. */
  get queuedRecords(): number {
    return this.forwarder.queued;
  }

  get appCount(): number {
    return this.apps.appCount;
  }

  /** Publishes what waits for the engine now. */
  flush(): void {
    this.forwarder.flush();
  }

  private onBatch(batch: DecodedBatch, source: AppSource): void {
    if (batch.records.length === 0) return;
    if (batch.locale === '') for (const r of batch.records) r.locale = this.defaultLocale;
    this.route(batch.records, batch.requestIds, source);
  }

  private route(records: SmartRecord[], requestIds: Uint32Array | null, source: AppSource | null): void {
    const c = this.counters;
    if (this.signatures.size === 0) {
      for (const r of records) {
        if (r.kind === 'tag') c.tagsReceived++;
        else c.eventsReceived++;
      }
      if (requestIds && source) {
        for (let i = 0; i < records.length; i++) if (requestIds[i]) this.reply(source, requestIds[i]!, ReplyStatus.noSignature);
      }
      this.forwarder.push(records);
      return;
    }
    const forwardActioned = this.opts.forwardActionTagsToEngine ?? true;
    const toEngine: SmartRecord[] = forwardActioned ? records : [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const requestId = requestIds ? requestIds[i]! : 0;
      if (r.kind === 'event') {
        c.eventsReceived++;
        if (!forwardActioned) toEngine.push(r);
        continue;
      }
      c.tagsReceived++;
      const sigs = this.signatures.lookup(r.locale, r.name);
      if (sigs) this.act(r, sigs, requestId, source);
      else {
        if (!forwardActioned) toEngine.push(r);
        if (requestId && source) this.reply(source, requestId, ReplyStatus.noSignature);
      }
    }
    this.forwarder.push(toEngine);
  }

  private act(tag: SmartRecord, signatures: Signature[], requestId: number, source: AppSource | null): void {
    const c = this.counters;
    if (this.inflight >= (this.opts.maxInflightActions ?? 1024)) {
      countDrop(c, 'actions-inflight');
      if (requestId && source) this.reply(source, requestId, ReplyStatus.failed, undefined, 'too many actions in flight at the driver');
      return;
    }
    this.inflight++;
    c.actionsRequested++;
    const req: ActionRequest = { driver: this.id, tag, signatures };
    const timeoutMs = this.opts.actionTimeoutMs ?? 1000;
    // Hints published while the controller decides synchronously are held for this app's reply (see `deciding`);
    // whichever comes first, the answer or the end of the call, takes them.
    this.deciding = requestId ? source : null;
    const p: PendingAction = { source, requestId, deciding: true, held: null };
    try {
      // A decision that exists at once (a hint, on the in-process bus) is answered right here: no promise, no hop.
      if (this.bus.call) this.bus.call<ActionRequest, ActionReply>(SUBJECTS.action, req, timeoutMs, (err, reply) => this.decided(p, err, reply));
      else this.bus.request<ActionRequest, ActionReply>(SUBJECTS.action, req, timeoutMs).then((r) => this.decided(p, null, r), (e: Error) => this.decided(p, e));
    } finally {
      if (p.deciding) this.takeHeld(p);
    }
  }

  private takeHeld(p: PendingAction): void {
    p.deciding = false;
    p.held = this.held;
    this.held = null;
    this.deciding = null;
  }

  private decided(p: PendingAction, err: Error | null, reply?: ActionReply): void {
    if (p.deciding) this.takeHeld(p);
    this.inflight--;
    if (err) this.counters.actionsFailed++;
    else this.counters.actionsDecided++;
    if (p.requestId && p.source) this.reply(p.source, p.requestId, err ? ReplyStatus.failed : ReplyStatus.decided, reply, err?.message, p.held);
  }

  /** Replies to a waiting app; hints held for it go in the reply when it carries them, else as hint packets before it. */
  private reply(source: AppSource, requestId: number, status: (typeof ReplyStatus)[keyof typeof ReplyStatus], reply?: ActionReply, message?: string, held?: Hint[] | null): void {
    const c = this.counters;
    let hintsOnlyInReply: number[] | undefined;
    if (held) {
      for (const h of held) {
        const i = reply ? reply.hints.indexOf(h) : -1;
        if (i >= 0) (hintsOnlyInReply ??= []).push(i);
        else if (source.hint(h)) c.hintsDelivered++;
        else c.hintsUndeliverable++;
      }
    }
    const n = hintsOnlyInReply?.length ?? 0;
    let sent: boolean;
    try {
      sent = source.reply({ requestId, status, reply, message, hintsOnlyInReply });
    } catch (err) {
      // A reply over the packet limit: the app's wait times out; the driver goes on.
      sent = false;
      this.opts.logger?.warn({ driver: this.id, requestId, err: (err as Error).message }, 'reply not encodable');
    }
    if (sent) {
      c.repliesSent++;
      c.hintsDelivered += n;
    } else {
      countDrop(c, 'reply-undeliverable');
      c.hintsUndeliverable += n;
    }
  }

  private subscribeHints(locale: string): void {
    if (this.hintSubs.has(locale)) return;
    this.hintSubs.set(
      locale,
      this.bus.subscribe<Hint>(SUBJECTS.hint(locale), (h) => {
        // The app whose Tag this hint answers gets it with its reply (counted when that is sent).
        const own = this.deciding !== null && this.deciding.locale === h.locale ? this.deciding : null;
        if (own) (this.held ??= []).push(h);
        const n = this.apps.deliverHint(h, own);
        if (n > 0) this.counters.hintsDelivered += n;
        else if (!own) this.counters.hintsUndeliverable++;
      }),
    );
  }

  private applySignatures(u: SignaturesUpdate): void {
    if (this.signatures.update(u)) {
      this.counters.signatures = this.signatures.size;
      this.counters.signatureGeneration = u.generation;
      this.opts.logger?.info({ driver: this.id, generation: u.generation, signatures: this.signatures.size }, 'signatures updated');
      for (const [locale, sources] of this.apps.appsByLocale()) {
        const table = this.thresholdsFor(locale);
        for (const s of sources) this.sendThresholds(s, table);
      }
    }
  }

  /** The act-above table of a locale: per tag name with signatures there, the value below which none acts. */
  thresholdsFor(locale: string): ThresholdsBody {
    const thresholds: ThresholdsBody['thresholds'] = [];
    for (const name of this.signatures.tagNames(locale)) {
      thresholds.push({ name, actAbove: actAboveOf(this.signatures.lookup(locale, name) ?? [], this.actionProbability) });
    }
    return { locale, generation: this.signatures.generation, thresholds };
  }

  private sendThresholds(source: AppSource, table: ThresholdsBody): void {
    let sent: boolean;
    try {
      sent = source.thresholds(table);
    } catch (err) {
      // A table over the packet limit: an empty one replaces the app's previous table, so it asks about every Tag.
      this.opts.logger?.warn({ driver: this.id, locale: table.locale, err: (err as Error).message }, 'act-above table too large; app will always ask');
      sent = source.thresholds({ ...table, thresholds: [] });
    }
    if (sent) this.counters.thresholdTablesSent++;
    else countDrop(this.counters, 'thresholds-undeliverable');
  }

  /** Asks the engine for the signatures in force, so a driver started after a learn run acts at once. */
  private loadCurrentSignatures(): void {
    this.bus.request<Record<string, never>, SignaturesUpdate | null>(SUBJECTS.signaturesCurrent, {}, 2000).then(
      (u) => {
        if (u) this.applySignatures(u);
      },
      () => {
        // No engine yet: the next SUBJECTS.signatures publication fills the database.
      },
    );
  }
}
