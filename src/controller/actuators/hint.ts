// Application hints: the decision (e.g. a per-destination stagger slot) published on
// SUBJECTS.hint(locale); the driver serving that locale delivers it to its apps through the SDK. A hint
// carries its own expiresAt, so nothing stays behind to revert.

import type { Bus } from '../../bus/bus.ts';
import { SUBJECTS, type Hint } from '../../bus/messages.ts';
import { identifierProblem, type SmartRecord } from '../../protocol/record.ts';
import { NameError } from '../names.ts';
import type { Actuator } from '../actuator.ts';

export interface HintParams {
  locale: string;
  /** What the app is told to do, e.g. "stagger" (the Hint's action). */
  kind: string;
  /** Everything else: numbers, strings and booleans only. */
  values: Record<string, number | string | boolean>;
}

const MAX_VALUES = 32;
const MAX_SUBJECTS = 4096;

export class HintActuator implements Actuator<HintParams> {
  readonly name = 'hint';
  readonly kernel = false;
  /** Delivered once; not a rule that lives and is reverted. */
  readonly lasting = false;

  /** Subject per locale, so a hint does not re-encode its locale into a subject each time (bounded). */
  private readonly subjects = new Map<string, string>();

  constructor(private readonly bus: Bus) {}

  validate(params: Record<string, unknown>): HintParams {
    const locale = params.locale;
    const lp = identifierProblem(locale);
    if (lp) throw new NameError('hint.locale', lp);
    const k = params.kind ?? 'hint';
    const kp = identifierProblem(k);
    if (kp) throw new NameError('hint.kind', kp);
    const values: Record<string, number | string | boolean> = {};
    let n = 0;
    for (const name in params) {
      const v = params[name];
      if (name === 'locale' || name === 'kind' || v === undefined || v === null) continue;
      if (++n > MAX_VALUES) throw new NameError('hint', `at most ${MAX_VALUES} values`);
      if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'string' && typeof v !== 'boolean') throw new NameError(`hint.${name}`, `must be a finite number, string or boolean, got ${JSON.stringify(v)}`);
      if (typeof v === 'string' && v.length > 256) throw new NameError(`hint.${name}`, 'longer than 256 characters');
      values[name] = v as number | string | boolean;
    }
    return { locale: locale as string, kind: k as string, values };
  }

  key(p: HintParams): string {
    return `hint ${p.locale}/${p.kind}`;
  }

  describe(p: HintParams): string {
    return `app ${p.locale}`;
  }

  /** Publishes the hint at once and returns it; `p` was made by validate for this Tag, so the hint takes its values as they are. */
  deliver(p: HintParams, tag: SmartRecord, expiresAt: number): Hint {
    const h: Hint = { locale: p.locale, tag: tag.name, action: p.kind, params: p.values, expiresAt };
    this.bus.publish(this.subject(p.locale), h);
    return h;
  }

  private subject(locale: string): string {
    let s = this.subjects.get(locale);
    if (s === undefined) {
      if (this.subjects.size >= MAX_SUBJECTS) this.subjects.clear();
      this.subjects.set(locale, (s = SUBJECTS.hint(locale)));
    }
    return s;
  }
}
