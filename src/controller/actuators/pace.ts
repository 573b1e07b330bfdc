// Sender pacing with htb: sets the rate (and ceil) of an htb class on a device, in a namespace or the
// host. The first rule on a device whose root qdisc is a default one (noqueue, pfifo_fast, mq, fq_codel)
// installs `htb default 1` with class 1:1 at the link rate, once, journaled as a setup undone at shutdown;
// an existing htb root is used as it is (its default class unless params.classid names another). A change names
// the quantum the kernel would derive (rate / r2q, clamped to 1000-200000 bytes), which spares tc's warning line and
// so a wake-up per change. Revert restores the class's rate from before the first rule.

import type { Command } from '../command.ts';
import { classId, devName, netnsName, rateBits, rateText } from '../names.ts';
import type { Actuator, ApplyContext, Rule } from '../actuator.ts';
import { runUndo } from '../actuator.ts';
import { checkParams } from './params.ts';

export interface PaceParams {
  netns: string | null;
  dev: string;
  /** htb class to pace; null = the root's default class. */
  classid: string | null;
  /** Rate and ceil, bit/s. */
  rate: number;
}

interface DeviceState {
  major: string;
  defaultClass: string;
  /** The root's rate-to-quantum divisor (htb's r2q, default 10). */
  r2q: number;
  /** Rate/ceil of each class before our first change, as tc prints them. */
  base: Map<string, { rate: string; ceil: string }>;
}

const DEFAULT_ROOTS = new Set(['noqueue', 'pfifo_fast', 'mq', 'fq_codel', 'noop']);

export class PaceActuator implements Actuator<PaceParams> {
  readonly name = 'pace';
  readonly kernel = true;
  readonly lasting = true;
  readonly tools = ['tc'] as const;
  private readonly devices = new Map<string, Promise<DeviceState>>();
  /** The devices whose preparation is done, for a rate change without waiting on their promise. */
  private readonly ready = new Map<string, DeviceState>();

  /** @param linkBps rate of the default class an installed root htb starts with (the device's line rate). */
  constructor(private readonly linkBps = 10e9) {}

  validate(params: Record<string, unknown>): PaceParams {
    const p = checkParams('pace', params, { netns: netnsName, dev: devName, classid: classId, rate: (f, v) => (rateBits(f, v), v) }, ['dev', 'rate']);
    return { netns: (p.netns as string | undefined) ?? null, dev: p.dev as string, classid: (p.classid as string | undefined) ?? null, rate: Math.round(p.rate as number) };
  }

  key(p: PaceParams): string {
    return `pace ${p.netns ?? '-'}/${p.dev}/${p.classid ?? 'default'}`;
  }

  describe(p: PaceParams): string {
    return `${p.netns ?? 'host'}/${p.dev} class ${p.classid ?? 'default'}`;
  }

  async apply(rule: Rule<PaceParams>, ctx: ApplyContext): Promise<void> {
    try {
      await this.applyOn(rule, ctx);
    } catch (err) {
      this.forget(rule.params);
      throw err;
    }
  }

  /** The device may have changed under us (qdisc removed, device recreated): look again next time. */
  private forget(p: PaceParams): void {
    const k = `${p.netns ?? ''}/${p.dev}`;
    this.devices.delete(k);
    this.ready.delete(k);
  }

  private async applyOn(rule: Rule<PaceParams>, ctx: ApplyContext): Promise<void> {
    const p = rule.params;
    const dev = await this.device(p, ctx);
    const cls = p.classid ?? dev.defaultClass;
    const base = await this.base(p, cls, dev, ctx);
    const undo: Command[] = [this.change(p, cls, base.rate, base.ceil)];
    rule.undo = undo;
    ctx.journal(rule, undo);
    await ctx.runner.change(this.paced(p, cls, dev));
  }

  async update(rule: Rule<PaceParams>, params: PaceParams, ctx: ApplyContext): Promise<void> {
    const dev = this.ready.get(`${params.netns ?? ''}/${params.dev}`) ?? (await this.device(params, ctx));
    await ctx.runner.change(this.paced(params, params.classid ?? dev.defaultClass, dev));
    rule.params = params;
  }

  async revert(rule: Rule<PaceParams>, ctx: ApplyContext): Promise<void> {
    const errors = await runUndo(ctx.runner, rule.undo);
    if (errors.length) throw new Error(errors.join('; '));
  }

  async close(): Promise<void> {
    this.devices.clear();
    this.ready.clear();
  }

  private change(p: PaceParams, cls: string, rate: string, ceil: string): Command {
    return { tool: 'tc', netns: p.netns, args: ['class', 'change', 'dev', p.dev, 'classid', cls, 'htb', 'rate', rate, 'ceil', ceil] };
  }

  /** The class at the rule's rate and ceil, with the quantum htb would derive from that rate itself. */
  private paced(p: PaceParams, cls: string, dev: DeviceState): Command {
    const r = rateBits('pace.rate', p.rate);
    const quantum = Math.min(200_000, Math.max(1000, Math.floor(p.rate / 8 / dev.r2q)));
    const c = this.change(p, cls, r, r);
    c.args.push('quantum', String(quantum));
    return c;
  }

  /** The device's htb root, installing one once when the root is a default qdisc. */
  private device(p: PaceParams, ctx: ApplyContext): Promise<DeviceState> {
    const k = `${p.netns ?? ''}/${p.dev}`;
    let d = this.devices.get(k);
    if (!d) {
      d = this.prepareDevice(p, ctx);
      this.devices.set(k, d);
      d.then(
        (state) => {
          if (this.devices.get(k) === d) this.ready.set(k, state);
        },
        () => this.devices.delete(k),
      );
    }
    return d;
  }

  private async prepareDevice(p: PaceParams, ctx: ApplyContext): Promise<DeviceState> {
    const out = await ctx.runner.exec({ tool: 'tc', netns: p.netns, args: ['qdisc', 'show', 'dev', p.dev] });
    const root = /^qdisc (\S+) ([0-9a-f]+): root\b(.*)$/m.exec(out);
    const where = `${p.netns ?? 'host'}/${p.dev}`;
    if (root && root[1] === 'htb') {
      const def = /\bdefault (0x[0-9a-f]+|[0-9a-f]+)/.exec(root[3]!);
      const minor = def ? parseInt(def[1]!, 16) : 0;
      const r2q = /\br2q (\d+)/.exec(root[3]!);
      return { major: root[2]!, defaultClass: `${root[2]}:${minor.toString(16)}`, r2q: r2q ? Math.max(1, Number(r2q[1])) : 10, base: new Map() };
    }
    if (root && !DEFAULT_ROOTS.has(root[1]!)) throw new Error(`${where}: root qdisc is ${root[1]}, not htb; pace will not replace it (give the device an htb root, or pace another device)`);
    const link = rateBits('pace.linkBps', this.linkBps);
    ctx.setup(`htb ${where}`, [{ tool: 'tc', netns: p.netns, args: ['qdisc', 'del', 'dev', p.dev, 'root'] }]);
    await ctx.runner.change({ tool: 'tc', netns: p.netns, args: ['qdisc', 'replace', 'dev', p.dev, 'root', 'handle', '1:', 'htb', 'default', '1'] });
    await ctx.runner.change({ tool: 'tc', netns: p.netns, args: ['class', 'add', 'dev', p.dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', link, 'ceil', link] });
    return { major: '1', defaultClass: '1:1', r2q: 10, base: new Map([['1:1', { rate: link, ceil: link }]]) };
  }

  private async base(p: PaceParams, cls: string, dev: DeviceState, ctx: ApplyContext): Promise<{ rate: string; ceil: string }> {
    const known = dev.base.get(cls);
    if (known) return known;
    const out = await ctx.runner.exec({ tool: 'tc', netns: p.netns, args: ['class', 'show', 'dev', p.dev, 'classid', cls] });
    const m = /\brate (\S+) ceil (\S+)/.exec(out);
    if (!m) throw new Error(`${p.netns ?? 'host'}/${p.dev}: htb class ${cls} does not exist`);
    const b = { rate: rateText('pace.baseRate', m[1]), ceil: rateText('pace.baseCeil', m[2]) };
    dev.base.set(cls, b);
    return b;
  }
}
