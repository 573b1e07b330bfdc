// The smart network controller (paper 3.4.3): answers ActionRequests on SUBJECTS.action by turning the
// Tag and its signatures, through the policies, into rules (rule, action, expiration); applies them with
// the actuators under limits (concurrent rules, actions per second), coalesces a repeated Tag into the
// live rule (extending its expiry), reverts every rule when it expires or at shutdown, journals each
// change ahead of the kernel and, at start, reverts whatever a crashed predecessor left behind.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Bus } from '../bus/bus.ts';
import { SUBJECTS, type ActionReply, type ActionRequest, type Hint, type RuleDecision } from '../bus/messages.ts';
import type { Signature } from '../engine/signature.ts';
import { recordProblem, type SmartRecord } from '../protocol/record.ts';
import { runUndo, type Actuator, type ApplyContext, type Rule } from './actuator.ts';
import { DryRunActuator } from './actuators/dry-run.ts';
import { derivedParams, expiresAt, likelySignatures, standingHint } from './derive.ts';
import { RuleJournal, type AppliedEntry } from './journal.ts';
import { devName, netnsName } from './names.ts';
import { matches, type Policy, type Target } from './policy.ts';
import { SystemRunner, type CommandRunner } from './runner.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ControllerLimits {
  /** Rules alive at once; beyond, new rules are refused (counted). */
  maxRules: number;
  /** Kernel changes per second (token bucket); beyond, refused (counted). */
  maxActionsPerSec: number;
}

/** Where a locale lives, so a policy target `{ locale: ... }` finds its namespace and device. */
export type LocaleMap = Record<string, { netns?: string; dev?: string }>;

export interface ControllerOptions {
  bus: Bus;
  actuators: Actuator<any>[];
  policies: Policy[];
  /** Append-only JSON-lines journal of applied/reverted rules, replayed at start. */
  journalPath: string;
  limits: ControllerLimits;
  /** Epoch microseconds (default: Date.now() * 1000). */
  clock?: () => number;
  /** Runs kernel commands; default a SystemRunner owned (and closed) by the controller. */
  runner?: CommandRunner;
  log?: Logger;
  locales?: LocaleMap;
  /** Log every rule instead of applying it. */
  dryRun?: boolean;
  /** Called when a rule was applied or reverted (after the kernel change), e.g. for status streams. */
  onRule?: (what: 'applied' | 'reverted', rule: RuleDecision) => void;
  /** Compact the journal once it has this many lines (default 10000). */
  journalCompactLines?: number;
}

export interface ControllerCounters {
  requests: number;
  badRequests: number;
  applied: number;
  coalesced: number;
  expired: number;
  refused: number;
  reverted: number;
  skipped: number;
  hints: number;
  errors: number;
  /** Rules left by a previous run and reverted at start. */
  recovered: number;
}

export interface RecoveryReport {
  recovered: number;
  errors: string[];
  /** Journal lines skipped. */
  problems: string[];
  /** Policy targets whose namespace or device is missing or misnamed, one line each naming the policy, target and field. */
  targets: string[];
}

/** What one policy target comes to: a rule decision or a hint delivered. */
type Decided = RuleDecision | Hint;

interface LiveRule {
  rule: Rule<unknown>;
  actuator: Actuator<unknown>;
  dry: boolean;
}

/** Where `ip netns` keeps the named network namespaces. */
const NETNS_DIR = '/run/netns';

export class Controller {
  readonly counters: ControllerCounters = { requests: 0, badRequests: 0, applied: 0, coalesced: 0, expired: 0, refused: 0, reverted: 0, skipped: 0, hints: 0, errors: 0, recovered: 0 };
  private readonly actuators = new Map<string, Actuator<unknown>>();
  private readonly rules = new Map<string, LiveRule>();
  private readonly setups = new Map<string, AppliedEntry>();
  private readonly entries = new Map<string, AppliedEntry>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly journal: RuleJournal;
  private readonly bucket: TokenBucket;
  private readonly clock: () => number;
  private readonly runner: CommandRunner;
  private readonly ownsRunner: boolean;
  private readonly log: Logger;
  private readonly dryRunActuator: DryRunActuator;
  private readonly ctx: ApplyContext;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private unrespond: (() => void) | null = null;
  private seq = 0;
  /** Rule ids are `r<ms base 36>-<seq base 36>`; the prefix is formatted once per millisecond. */
  private idMs = -1;
  private idPrefix = '';
  private closed = false;

  constructor(private readonly opts: ControllerOptions) {
    if (!Number.isInteger(opts.limits.maxRules) || opts.limits.maxRules < 1) throw new Error(`limits.maxRules must be an integer >= 1, got ${opts.limits.maxRules}`);
    if (!(opts.limits.maxActionsPerSec > 0)) throw new Error(`limits.maxActionsPerSec must be > 0, got ${opts.limits.maxActionsPerSec}`);
    this.log = opts.log ?? pino({ level: 'silent' });
    this.dryRunActuator = new DryRunActuator(this.log);
    for (const a of [this.dryRunActuator, ...opts.actuators]) this.actuators.set(a.name, a as Actuator<unknown>);
    for (const a of this.actuators.values()) {
      if (a.lasting && !(a.apply && a.revert)) throw new Error(`actuator ${a.name}: lasting, so it must apply and revert`);
      if (!a.lasting && !a.deliver) throw new Error(`actuator ${a.name}: not lasting, so it must deliver`);
    }
    for (const p of opts.policies) if (!this.actuators.has(p.action)) throw new Error(`policy ${p.name}: no actuator for action ${JSON.stringify(p.action)}`);
    this.journal = new RuleJournal(opts.journalPath);
    this.bucket = new TokenBucket(opts.limits.maxActionsPerSec);
    this.clock = opts.clock ?? (() => Date.now() * 1000);
    this.ownsRunner = !opts.runner;
    this.runner = opts.runner ?? new SystemRunner();
    this.ctx = {
      runner: this.runner,
      log: this.log,
      journal: (rule, undo) => this.record({ op: 'applied', id: rule.id, kind: 'rule', action: rule.action, target: rule.target, expiresAt: rule.expiresAt, undo }),
      setup: (key, undo) => {
        const e: AppliedEntry = { op: 'applied', id: `setup ${key}`, kind: 'setup', action: 'setup', target: key, expiresAt: null, undo };
        this.setups.set(e.id, e);
        this.record(e);
      },
    };
  }

  /**
   * Checks every kernel policy target once at start, so that an operator's typo shows at once and not at the
   * first Tag: a namespace name that is invalid or absent (/run/netns), and a device (`dev`) the namespace
   * (or the host) does not have. Each is a warning and a line of the start report; rules on a target whose
   * namespace is missing are refused at Tag time, rules on a missing device fail there with the tool's message.
   * Starts the batch processes of the targets that exist.
   */
  private async prepareTargets(): Promise<string[]> {
    const problems: string[] = [];
    if (this.opts.dryRun === true) return problems;
    const devices: Promise<string | null>[] = [];
    // One lookup per device, however many targets name it.
    const lookups = new Map<string, Promise<string | null>>();
    for (const [i, p] of this.opts.policies.entries()) {
      const a = this.actuators.get(p.action);
      if (!a?.kernel || p.dryRun) continue;
      for (const [j, t] of p.targets.entries()) {
        const where = `policies[${i}] (${p.name}) targets[${j}]`;
        const netns = typeof t.netns === 'string' ? t.netns : null;
        if (netns !== null) {
          try {
            netnsName(`${where}.netns`, netns);
          } catch (err) {
            problems.push(`${(err as Error).message}; its rules are refused`);
            continue;
          }
          if (!existsSync(join(NETNS_DIR, netns))) {
            problems.push(`${where}.netns: network namespace ${JSON.stringify(netns)} does not exist (see ip netns list); its rules are refused until it does`);
            continue;
          }
          if (this.runner.warm) for (const tool of a.tools ?? []) this.runner.warm(tool, netns);
        }
        if (typeof t.dev === 'string') {
          const dev = t.dev;
          const key = `${netns ?? ''}/${dev}`;
          let lookup = lookups.get(key);
          if (!lookup) lookups.set(key, (lookup = this.missingDevice(netns, dev)));
          const place = netns === null ? 'on the host' : `in network namespace ${JSON.stringify(netns)}`;
          devices.push(lookup.then((why) => (why === null ? null : `${where}.dev: no device ${JSON.stringify(dev)} ${place} (${why}); its rules fail until it exists`)));
        }
      }
    }
    for (const d of await Promise.all(devices)) if (d) problems.push(d);
    for (const problem of problems) this.log.warn({ problem }, 'policy target');
    return problems;
  }

  /** Why `dev` is not a device of the namespace (null: the host), or null when it is. */
  private async missingDevice(netns: string | null, dev: string): Promise<string | null> {
    try {
      devName('dev', dev);
      await this.runner.exec({ tool: 'ip', netns, args: ['link', 'show', 'dev', dev] });
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Reverts what a previous run left applied (journal replay), checks and warms the policy targets, then answers on SUBJECTS.action. */
  async start(): Promise<RecoveryReport> {
    const recovered = await this.recover();
    const used = new Set(this.opts.policies.map((p) => p.action));
    for (const a of this.actuators.values()) if (used.has(a.name)) await a.init?.(this.ctx);
    const report: RecoveryReport = { ...recovered, targets: await this.prepareTargets() };
    this.unrespond = this.opts.bus.respond<ActionRequest, ActionReply>(SUBJECTS.action, (req) => this.handle(req));
    this.log.info({ policies: this.opts.policies.map((p) => p.name), recovered: report.recovered, journal: this.opts.journalPath }, 'controller started');
    return report;
  }

  /**
   * Decides on one Tag: the rules in place (or refused) and the hints sent. Synchronous when no decision waits for
   * the kernel (hints, refusals, skips): the hint path makes no promise; a Promise once a rule must be placed.
   */
  handle(req: ActionRequest): ActionReply | Promise<ActionReply> {
    this.counters.requests++;
    const problem = requestProblem(req);
    if (problem) {
      this.counters.badRequests++;
      throw new Error(`bad action request from driver ${JSON.stringify((req as { driver?: unknown })?.driver)}: ${problem}`);
    }
    const tag = req.tag;
    const decided: (Decided | Promise<Decided>)[] = [];
    let waiting = false;
    // Standing: every policy that matched acted, each a hint that depends on neither the value nor the time.
    let standing = true;
    for (const policy of this.opts.policies) {
      let sigs: Signature[] | null = null;
      for (const s of req.signatures) if (matches(policy, s, tag)) (sigs ??= []).push(s);
      if (!sigs) continue;
      if (!standingHint(policy)) standing = false;
      const likely = likelySignatures(policy, sigs, tag);
      if (!likely.length) {
        standing = false;
        this.counters.skipped++;
        this.log.debug({ policy: policy.name, tag: tag.name, value: tag.value }, 'skipped: event unlikely at this tag value');
        continue;
      }
      const expires = expiresAt(policy, likely, tag);
      const derived = derivedParams(policy, tag);
      for (const target of policy.targets) {
        const d = this.act(policy, this.paramsFor(policy, derived, target, tag, likely[0]!), expires, tag);
        if (d instanceof Promise) waiting = true;
        decided.push(d);
      }
    }
    if (!waiting) return replyOf(tag, decided as Decided[], standing);
    return Promise.all(decided).then((ds) => replyOf(tag, ds, false));
  }

  /** Rules alive now, as decisions. */
  activeRules(): RuleDecision[] {
    return [...this.rules.values()].map((l) => decision(l.rule, l.dry ? 'dry-run' : 'applied'));
  }

  get rulesActive(): number {
    return this.rules.size;
  }

  /** Reverts every rule whose expiry has come (the timer calls this; tests with a fake clock may too). */
  async expireDue(): Promise<void> {
    const now = this.clock();
    const due = [...this.rules.values()].filter((l) => l.rule.expiresAt <= now);
    await Promise.all(due.map((l) => this.revert(l, 'expired')));
    this.schedule();
  }

  /** Stops answering, reverts every rule and every setup, closes what it owns. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unrespond?.();
    this.unrespond = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all([...this.rules.values()].map((l) => this.revert(l, 'shutdown')));
    await Promise.all([...this.locks.values()].map((p) => p.catch(() => undefined)));
    for (const e of [...this.setups.values()].reverse()) {
      const errors = await runUndo(this.runner, e.undo);
      if (errors.length) {
        this.counters.errors++;
        this.log.error({ setup: e.target, errors }, 'could not undo setup');
      } else this.record({ op: 'reverted', id: e.id });
      this.setups.delete(e.id);
    }
    for (const a of this.actuators.values()) await a.close?.();
    if (this.ownsRunner) await this.runner.close();
    this.journal.compact([...this.entries.values()]);
    this.log.info({ counters: this.counters }, 'controller stopped');
  }

  private async recover(): Promise<Omit<RecoveryReport, 'targets'>> {
    const { outstanding, problems } = this.journal.replay();
    for (const p of problems) this.log.warn({ problem: p }, 'journal line skipped');
    const errors: string[] = [];
    for (const e of outstanding.reverse()) {
      const errs = await runUndo(this.runner, e.undo);
      this.counters.recovered++;
      if (errs.length) {
        // What cannot be undone is usually already gone (its namespace or device was removed).
        errors.push(...errs.map((m) => `${e.kind} ${e.id} (${e.target}): ${m}`));
        this.log.warn({ entry: e.id, target: e.target, errors: errs }, 'recovery: undo failed (already gone?)');
      } else this.log.info({ entry: e.id, action: e.action, target: e.target }, 'recovery: reverted what a previous run left');
    }
    this.journal.compact([]);
    return { recovered: outstanding.length, errors, problems };
  }

  /** The rule's raw parameters: derived ones, overridden by the policy's, overridden by the target's (locale resolved). */
  private paramsFor(policy: Policy, derived: Record<string, unknown>, target: Target, tag: SmartRecord, sig: Signature): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k in derived) out[k] = derived[k];
    for (const k in policy.params) out[k] = policy.params[k];
    // Copied without `locale` (rather than deleted from a copy, which would turn every rule's parameters into a slow dictionary).
    for (const k in target) if (k !== 'locale') out[k] = (target as Record<string, unknown>)[k];
    let locale = target.locale;
    if (locale === '$tag') locale = tag.locale;
    else if (locale === '$event') locale = sig.event.locale;
    if (locale !== undefined) {
      const where = this.opts.locales?.[locale];
      if (where?.netns !== undefined && out.netns === undefined) out.netns = where.netns;
      if (where?.dev !== undefined && out.dev === undefined) out.dev = where.dev;
      if (policy.action === 'hint' || policy.action === 'dry-run') out.locale = locale;
    }
    return out;
  }

  /** One target's decision: at once for a hint or a refusal, a Promise for a rule placed under its key's lock. */
  private act(policy: Policy, raw: Record<string, unknown>, expires: number, tag: SmartRecord): Decided | Promise<Decided> {
    const actuator = this.actuators.get(policy.action)!;
    let params: unknown;
    try {
      params = actuator.validate(raw);
    } catch (err) {
      return this.refuse(policy, actuator.name, String(raw.dev ?? raw.locale ?? '?'), raw, expires, `invalid parameters: ${(err as Error).message}`, true);
    }
    const now = this.clock();
    if (expires <= now) return this.refuse(policy, actuator.name, actuator.describe(params), raw, expires, `expired before it could act (tag at ${tag.time} us, expiry ${expires} us, now ${now} us)`);
    if (!actuator.lasting) {
      // Delivered at once (a hint): nothing lives or is reverted, so no rule (id, key, lock) is built for it.
      try {
        const hint = actuator.deliver!(params, tag, expires);
        this.counters.hints++;
        return hint;
      } catch (err) {
        return this.refuse(policy, actuator.name, actuator.describe(params), raw, expires, `error: ${(err as Error).message}`, true);
      }
    }
    const dry = policy.dryRun || this.opts.dryRun === true || actuator === this.dryRunActuator;
    const key = actuator.key(params);
    const rule: Rule<unknown> = { id: this.nextId(), policy: policy.name, action: actuator.name, key, target: actuator.describe(params), params, tag, expiresAt: expires, undo: [] };
    return this.locked(key, () => this.place(rule, actuator, dry));
  }

  private async place(rule: Rule<unknown>, actuator: Actuator<unknown>, dry: boolean): Promise<RuleDecision> {
    if (this.closed) return this.refuseRule(rule, 'controller is shutting down');
    const live = this.rules.get(rule.key);
    if (live) {
      if (rule.expiresAt > live.rule.expiresAt) live.rule.expiresAt = rule.expiresAt;
      let reason = `coalesced with live rule ${live.rule.id}; expiry extended`;
      if (!dry && actuator.update && !sameParams(rule.params, live.rule.params)) {
        if (!this.bucket.take(this.clock())) reason += '; new strength not applied (limit: maxActionsPerSec)';
        else {
          try {
            await actuator.update(live.rule, rule.params, this.ctx);
            reason += '; strength changed';
          } catch (err) {
            this.counters.errors++;
            reason += `; strength change failed: ${(err as Error).message}`;
          }
        }
      }
      this.counters.coalesced++;
      this.schedule();
      return { ...decision(live.rule, live.dry ? 'dry-run' : 'applied'), reason };
    }
    if (this.rules.size >= this.opts.limits.maxRules) return this.refuseRule(rule, `limit: ${this.opts.limits.maxRules} rules active (maxRules)`);
    if (actuator.kernel && !dry && !this.bucket.take(this.clock())) return this.refuseRule(rule, `limit: more than ${this.opts.limits.maxActionsPerSec} actions per second (maxActionsPerSec)`);
    const l: LiveRule = { rule, actuator, dry };
    this.rules.set(rule.key, l);
    try {
      if (dry) await this.dryRunActuator.apply(rule);
      else await actuator.apply!(rule, this.ctx);
    } catch (err) {
      this.rules.delete(rule.key);
      this.counters.errors++;
      if (this.entries.has(rule.id)) {
        const errs = await runUndo(this.runner, rule.undo);
        if (!errs.length) this.record({ op: 'reverted', id: rule.id });
      }
      this.log.error({ rule: rule.id, action: rule.action, target: rule.target, err: (err as Error).message }, 'apply failed');
      return this.refuseRule(rule, `error: ${(err as Error).message}`);
    }
    this.counters.applied++;
    this.opts.onRule?.('applied', decision(rule, dry ? 'dry-run' : 'applied'));
    this.log.info({ rule: rule.id, policy: rule.policy, action: rule.action, target: rule.target, params: rule.params, expiresAt: rule.expiresAt, dryRun: dry }, 'rule applied');
    this.schedule();
    return decision(rule, dry ? 'dry-run' : 'applied');
  }

  private revert(l: LiveRule, why: 'expired' | 'shutdown'): Promise<void> {
    return this.locked(l.rule.key, async () => {
      if (this.rules.get(l.rule.key) !== l) return;
      if (why === 'expired' && l.rule.expiresAt > this.clock()) return;
      this.rules.delete(l.rule.key);
      try {
        if (l.dry) await this.dryRunActuator.revert(l.rule);
        else await l.actuator.revert!(l.rule, this.ctx);
        if (this.entries.has(l.rule.id)) this.record({ op: 'reverted', id: l.rule.id });
        this.counters.reverted++;
        if (why === 'expired') this.counters.expired++;
        this.opts.onRule?.('reverted', decision(l.rule, l.dry ? 'dry-run' : 'applied'));
        this.log.info({ rule: l.rule.id, action: l.rule.action, target: l.rule.target, why }, 'rule reverted');
      } catch (err) {
        // The journal keeps the entry: the next start retries the undo.
        this.counters.errors++;
        this.log.error({ rule: l.rule.id, action: l.rule.action, target: l.rule.target, err: (err as Error).message }, 'revert failed');
      }
    });
  }

  private refuse(policy: Policy, action: string, target: string, params: Record<string, unknown>, expires: number, reason: string, error = false): RuleDecision {
    if (error) this.counters.errors++;
    this.counters.refused++;
    this.log.warn({ policy: policy.name, action, target, reason }, 'rule refused');
    return { id: this.nextId(), action, target, params, expiresAt: expires, status: 'refused', reason };
  }

  private refuseRule(rule: Rule<unknown>, reason: string): RuleDecision {
    this.counters.refused++;
    this.log.warn({ policy: rule.policy, action: rule.action, target: rule.target, reason }, 'rule refused');
    return { ...decision(rule, 'refused'), reason };
  }

  private record(e: AppliedEntry | { op: 'reverted'; id: string }): void {
    if (e.op === 'applied') this.entries.set(e.id, e);
    else this.entries.delete(e.id);
    this.journal.append(e);
    if (this.journal.size >= (this.opts.journalCompactLines ?? 10_000)) this.journal.compact([...this.entries.values()]);
  }

  /** One timer for the earliest expiry. */
  private schedule(): void {
    if (this.closed) return;
    let next = Infinity;
    for (const l of this.rules.values()) next = Math.min(next, l.rule.expiresAt);
    if (next === this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === Infinity) return;
    const delayMs = Math.max(0, Math.ceil((next - this.clock()) / 1000));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.expireDue();
    }, Math.min(delayMs, 2 ** 31 - 1));
  }

  /** Serialises work on one key (a device class, a table, ...), in arrival order; with none pending it starts at once. */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key);
    const next = prev ? prev.then(fn, fn) : fn();
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }

  private nextId(): string {
    const ms = Date.now();
    if (ms !== this.idMs) {
      this.idMs = ms;
      this.idPrefix = `r${ms.toString(36)}-`;
    }
    return this.idPrefix + (++this.seq).toString(36);
  }
}

/** Do two validated parameter sets ask for the same thing? Flat ones compare field by field, nested ones as JSON. */
function sameParams(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    const v = x[k];
    if (typeof v === 'object' && v !== null) return JSON.stringify(a) === JSON.stringify(b);
    if (!(k in y) || y[k] !== v) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}

/** The reply to a Tag; it stands (see ActionReply.standing) when asked and nothing but hints was decided. */
function replyOf(tag: SmartRecord, decided: Decided[], standing: boolean): ActionReply {
  const rules: RuleDecision[] = [];
  const hints: Hint[] = [];
  for (const d of decided) {
    if ('status' in d) rules.push(d);
    else hints.push(d);
  }
  return standing && rules.length === 0 && hints.length > 0 ? { tag, rules, hints, standing: true } : { tag, rules, hints };
}

function decision(rule: Rule<unknown>, status: RuleDecision['status']): RuleDecision {
  return { id: rule.id, action: rule.action, target: rule.target, params: { ...(rule.params as Record<string, unknown>) }, expiresAt: rule.expiresAt, status };
}

function requestProblem(req: ActionRequest): string | null {
  if (typeof req !== 'object' || req === null) return 'not an object';
  if (typeof req.tag !== 'object' || req.tag === null) return 'tag: missing';
  const p = recordProblem(req.tag);
  if (p) return `tag.${p.field}: ${p.reason}`;
  if (req.tag.kind !== 'tag') return `tag.kind: must be "tag", got ${JSON.stringify(req.tag.kind)}`;
  if (!Array.isArray(req.signatures)) return 'signatures: not a list';
  for (let i = 0; i < req.signatures.length; i++) {
    const s = req.signatures[i] as Signature;
    if (typeof s !== 'object' || s === null || typeof s.window !== 'object' || typeof s.extent !== 'object' || typeof s.tag !== 'object' || typeof s.event !== 'object')
      return `signatures[${i}]: not a signature (tag, event, window, extent)`;
  }
  return null;
}
