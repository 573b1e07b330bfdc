// Policies: declarative mappings from signatures to rules — which signatures (tag/event name and locale
// patterns, minimum probability and lift, maximum q-value), which targets to act on, which action, with
// which explicit parameters and how derived ones are computed. `parsePolicies` validates a plain object
// (a YAML section) and names the field path of every mistake.

import type { Signature } from '../engine/signature.ts';
import type { SmartRecord } from '../protocol/record.ts';

export interface SignatureMatch {
  /** Glob patterns ('*' = any run of characters) on the signature's endpoints. */
  tag: string;
  tagLocale: string;
  event: string;
  eventLocale: string;
  minProbability: number;
  minLift: number;
  maxQValue: number;
}

/** Where to act. `locale` may be '$tag' (the Tag's locale) or '$event' (the predicted Event's locale). */
export interface Target {
  locale?: string;
  netns?: string;
  dev?: string;
  [param: string]: unknown;
}

export interface DeriveSpec {
  /** Rate of the predicted bottleneck, bit/s: pacing rate and stagger slot are computed from it. */
  bottleneckBps?: number;
  /** How many senders will answer: the Tag's value (fan-out, default) or a fixed number. */
  responders: 'tag-value' | number;
  /** Bytes each responder sends (the predicted burst per sender), for the stagger slot and delay. */
  bytesPerResponder?: number;
  /** Bytes the predicted bottleneck's buffer holds (an operator fact): a hint then carries a byte window, a clamp its cwnd. */
  bufferBytes?: number;
}

export interface ExpirationSpec {
  /** Slack after the end of the signature's window; default max(1 ms, (window.end - window.start) / 4). */
  marginUs?: number;
  /** A fixed lifetime counted from the Tag's time, instead of the signature's window. */
  fixedUs?: number;
  /** Upper bound on any lifetime (default 60 s): every rule expires. */
  maxUs: number;
}

export interface Policy {
  name: string;
  match: SignatureMatch;
  /** Actuator name: pace, reroute, clamp, delay, hint, dry-run. */
  action: string;
  /** Log what would be done instead of doing it. */
  dryRun: boolean;
  targets: Target[];
  params: Record<string, unknown>;
  derive: DeriveSpec;
  expiration: ExpirationSpec;
  /** Skip acting when the extent gives the event a probability below this at the Tag's value. */
  minEventProbability: number;
}

export class PolicyError extends Error {
  constructor(
    readonly path: (string | number)[],
    readonly reason: string,
  ) {
    super(`${pathText(path)}: ${reason}`);
  }
}

function pathText(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Glob match where '*' matches any run of characters and everything else is literal. */
export function globMatch(pattern: string, s: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === s;
  const parts = pattern.split('*');
  if (!s.startsWith(parts[0]!) || !s.endsWith(parts[parts.length - 1]!)) return false;
  let pos = parts[0]!.length;
  const end = s.length - parts[parts.length - 1]!.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = s.indexOf(parts[i]!, pos);
    if (at < 0 || at + parts[i]!.length > end) return false;
    pos = at + parts[i]!.length;
  }
  return pos <= end;
}

/** Does the signature (triggered by this Tag) fall under the policy? A pooled '*' locale matches the Tag's. */
export function matches(p: Policy, sig: Signature, tag: SmartRecord): boolean {
  const m = p.match;
  const tagLocale = sig.tag.locale === '*' ? tag.locale : sig.tag.locale;
  return (
    globMatch(m.tag, sig.tag.name) &&
    globMatch(m.tagLocale, tagLocale) &&
    globMatch(m.event, sig.event.name) &&
    globMatch(m.eventLocale, sig.event.locale) &&
    sig.probability >= m.minProbability &&
    sig.lift >= m.minLift &&
    sig.qValue <= m.maxQValue
  );
}

type Obj = Record<string, unknown>;

class Reader {
  private readonly seen = new Set<string>();
  constructor(
    readonly path: (string | number)[],
    readonly obj: Obj,
  ) {}
  static of(path: (string | number)[], v: unknown): Reader {
    if (v === undefined || v === null) return new Reader(path, {});
    if (typeof v !== 'object' || Array.isArray(v)) throw new PolicyError(path, `must be a mapping, got ${JSON.stringify(v)}`);
    return new Reader(path, v as Obj);
  }
  raw(k: string): unknown {
    this.seen.add(k);
    return this.obj[k];
  }
  str(k: string, fallback?: string): string {
    const v = this.raw(k);
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new PolicyError([...this.path, k], 'missing');
      return fallback;
    }
    if (typeof v !== 'string' || v.length === 0 || v.length > 256) throw new PolicyError([...this.path, k], `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }
  num(k: string, fallback: number | undefined, min: number, max: number): number | undefined {
    const v = this.raw(k);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new PolicyError([...this.path, k], `must be a number ${max === Number.MAX_VALUE ? `>= ${min}` : `in [${min}, ${max}]`}, got ${JSON.stringify(v)}`);
    return v;
  }
  bool(k: string, fallback: boolean): boolean {
    const v = this.raw(k);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new PolicyError([...this.path, k], `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  done(): void {
    for (const k of Object.keys(this.obj)) if (!this.seen.has(k)) throw new PolicyError([...this.path, k], 'unknown field');
  }
}

const DAY_US = 86_400e6;

/** Validates a list of policies (plain objects, e.g. from YAML); `known` lists the actuator names. */
export function parsePolicies(raw: unknown, known: readonly string[], path: (string | number)[] = ['policies']): Policy[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new PolicyError(path, `must be a list, got ${JSON.stringify(raw)}`);
  const names = new Set<string>();
  return raw.map((item, i) => {
    const r = Reader.of([...path, i], item);
    const name = r.str('name', `policy${i}`);
    if (names.has(name)) throw new PolicyError([...path, i, 'name'], `duplicate policy name ${JSON.stringify(name)}`);
    names.add(name);

    const m = Reader.of([...r.path, 'match'], r.raw('match'));
    const match: SignatureMatch = {
      tag: m.str('tag', '*'),
      tagLocale: m.str('tagLocale', '*'),
      event: m.str('event', '*'),
      eventLocale: m.str('eventLocale', '*'),
      minProbability: m.num('minProbability', 0, 0, 1)!,
      minLift: m.num('minLift', 0, 0, Number.MAX_VALUE)!,
      maxQValue: m.num('maxQValue', 1, 0, 1)!,
    };
    m.done();

    const action = r.str('action');
    if (!known.includes(action)) throw new PolicyError([...r.path, 'action'], `unknown action ${JSON.stringify(action)} (known: ${known.join(', ')})`);

    const targetsRaw = r.raw('targets');
    let targets: Target[];
    if (targetsRaw === undefined || targetsRaw === null) targets = [{ locale: '$tag' }];
    else if (!Array.isArray(targetsRaw) || targetsRaw.length === 0 || targetsRaw.length > 64) throw new PolicyError([...r.path, 'targets'], 'must be a list of 1-64 targets');
    else
      targets = targetsRaw.map((t, j) => {
        if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new PolicyError([...r.path, 'targets', j], `must be a mapping, got ${JSON.stringify(t)}`);
        return { ...(t as Obj) } as Target;
      });

    const paramsRaw = r.raw('params');
    if (paramsRaw !== undefined && paramsRaw !== null && (typeof paramsRaw !== 'object' || Array.isArray(paramsRaw))) throw new PolicyError([...r.path, 'params'], 'must be a mapping');
    const params = { ...((paramsRaw as Obj | null | undefined) ?? {}) };

    const d = Reader.of([...r.path, 'derive'], r.raw('derive'));
    const respRaw = d.raw('responders');
    let responders: DeriveSpec['responders'] = 'tag-value';
    if (respRaw !== undefined && respRaw !== null && respRaw !== 'tag-value') {
      if (typeof respRaw !== 'number' || !Number.isInteger(respRaw) || respRaw < 1 || respRaw > 100_000) throw new PolicyError([...d.path, 'responders'], `must be "tag-value" or an integer >= 1, got ${JSON.stringify(respRaw)}`);
      responders = respRaw;
    }
    const derive: DeriveSpec = { bottleneckBps: d.num('bottleneckBps', undefined, 8, 1e13), responders, bytesPerResponder: d.num('bytesPerResponder', undefined, 1, 1e12), bufferBytes: d.num('bufferBytes', undefined, 1, 1e12) };
    d.done();

    const e = Reader.of([...r.path, 'expiration'], r.raw('expiration'));
    const expiration: ExpirationSpec = { marginUs: e.num('marginUs', undefined, 0, DAY_US), fixedUs: e.num('fixedUs', undefined, 1, DAY_US), maxUs: e.num('maxUs', 60e6, 1, DAY_US)! };
    e.done();

    const policy: Policy = {
      name,
      match,
      action,
      dryRun: r.bool('dryRun', false),
      targets,
      params,
      derive,
      expiration,
      minEventProbability: r.num('minEventProbability', 0.5, 0, 1)!,
    };
    r.done();
    const given = (k: string) => params[k] !== undefined || targets.every((t) => t[k] !== undefined);
    if (action === 'pace' && !given('rate') && derive.bottleneckBps === undefined) throw new PolicyError([...r.path, 'derive', 'bottleneckBps'], 'pace needs params.rate or derive.bottleneckBps (the rate is bottleneckBps / responders)');
    if (action === 'clamp' && !given('cwnd') && derive.bufferBytes === undefined) throw new PolicyError([...r.path, 'derive', 'bufferBytes'], 'clamp needs params.cwnd or derive.bufferBytes (the window is the frames the buffer holds / responders)');
    if (action === 'delay' && !given('delayUs') && (derive.bottleneckBps === undefined || derive.bytesPerResponder === undefined))
      throw new PolicyError([...r.path, 'derive'], 'delay needs params.delayUs or derive.bottleneckBps and derive.bytesPerResponder (the delay is one stagger slot)');
    return policy;
  });
}
