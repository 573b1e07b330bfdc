// Delay with netem (the paper's MemCached action): `tc qdisc add dev X root netem delay D jitter J` on a
// device whose root is a default qdisc; revert deletes it. Whether the kernel has netem is detected once
// (a netem qdisc on a veth in a throwaway namespace); where it does not, every rule is refused with a
// message naming the alternatives.

import { randomBytes } from 'node:crypto';
import type { Command } from '../command.ts';
import { devName, integer, netnsName } from '../names.ts';
import type { Actuator, ApplyContext, Rule } from '../actuator.ts';
import { runUndo } from '../actuator.ts';
import type { CommandRunner } from '../runner.ts';
import { checkParams } from './params.ts';

export interface DelayParams {
  netns: string | null;
  dev: string;
  delayUs: number;
  jitterUs: number;
}

export interface NetemAvailability {
  available: boolean;
  /** Why not, with the alternatives, when unavailable. */
  message: string | null;
}

const ALTERNATIVES = 'use action "pace" (htb sender pacing at bottleneckBps / responders) or "hint" (the application staggers its requests by slotUs) instead';

const PROBE_PREFIX = 'st-netem-probe-';

/** Removes probe namespaces left by probing processes that died mid-probe (their pid is gone). */
async function removeStaleProbes(runner: CommandRunner): Promise<void> {
  const list = await runner.exec({ tool: 'ip', netns: null, args: ['netns', 'list'] }).catch(() => '');
  for (const m of list.matchAll(/^(st-netem-probe-(\d+)-[0-9a-f]{6})\b/gm)) {
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    await runner.exec({ tool: 'ip', netns: null, args: ['netns', 'del', m[1]!] }).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Tries a netem qdisc on a veth in a throwaway namespace; removes the namespace whatever happens. */
export async function detectNetem(runner: CommandRunner): Promise<NetemAvailability> {
  await removeStaleProbes(runner);
  const ns = `${PROBE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await runner.exec({ tool: 'ip', netns: null, args: ['netns', 'add', ns] });
  } catch (err) {
    return { available: false, message: `netem availability unknown: cannot create a probe namespace (${(err as Error).message}); ${ALTERNATIVES}` };
  }
  try {
    await runner.exec({ tool: 'ip', netns: ns, args: ['link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1'] });
    await runner.exec({ tool: 'tc', netns: ns, args: ['qdisc', 'add', 'dev', 'probe0', 'root', 'netem', 'delay', '1ms'] });
    return { available: true, message: null };
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    return { available: false, message: `this kernel has no netem qdisc (${why}); ${ALTERNATIVES}` };
  } finally {
    await runner.exec({ tool: 'ip', netns: null, args: ['netns', 'del', ns] }).catch(() => undefined);
  }
}

export class DelayActuator implements Actuator<DelayParams> {
  readonly name = 'delay';
  readonly kernel = true;
  readonly lasting = true;
  readonly tools = ['tc'] as const;
  private netem: Promise<NetemAvailability> | null = null;

  validate(params: Record<string, unknown>): DelayParams {
    const us = (f: string, v: unknown) => integer(f, v, 0, 60_000_000);
    const p = checkParams('delay', params, { netns: netnsName, dev: devName, delayUs: us, jitterUs: us }, ['dev', 'delayUs']);
    return { netns: (p.netns as string | undefined) ?? null, dev: p.dev as string, delayUs: p.delayUs as number, jitterUs: (p.jitterUs as number | undefined) ?? 0 };
  }

  key(p: DelayParams): string {
    return `delay ${p.netns ?? '-'}/${p.dev}`;
  }

  describe(p: DelayParams): string {
    return `${p.netns ?? 'host'}/${p.dev} netem`;
  }

  /** Detects netem once; later calls share the answer. */
  availability(runner: CommandRunner): Promise<NetemAvailability> {
    this.netem ??= detectNetem(runner);
    return this.netem;
  }

  async init(ctx: ApplyContext): Promise<void> {
    const a = await this.availability(ctx.runner);
    if (!a.available) ctx.log.warn({ action: 'delay' }, a.message!);
  }

  async apply(rule: Rule<DelayParams>, ctx: ApplyContext): Promise<void> {
    const a = await this.availability(ctx.runner);
    if (!a.available) throw new Error(a.message!);
    const p = rule.params;
    const out = await ctx.runner.exec({ tool: 'tc', netns: p.netns, args: ['qdisc', 'show', 'dev', p.dev] });
    const root = /^qdisc (\S+) [0-9a-f]+: root\b/m.exec(out);
    if (root && !['noqueue', 'pfifo_fast', 'mq', 'fq_codel', 'noop'].includes(root[1]!))
      throw new Error(`${p.netns ?? 'host'}/${p.dev}: root qdisc is ${root[1]}; delay only replaces a default root qdisc`);
    const undo: Command[] = [{ tool: 'tc', netns: p.netns, args: ['qdisc', 'del', 'dev', p.dev, 'root'] }];
    rule.undo = undo;
    ctx.journal(rule, undo);
    const args = ['qdisc', 'add', 'dev', p.dev, 'root', 'netem', 'delay', `${p.delayUs}us`];
    if (p.jitterUs > 0) args.push(`${p.jitterUs}us`);
    await ctx.runner.change({ tool: 'tc', netns: p.netns, args });
  }

  async revert(rule: Rule<DelayParams>, ctx: ApplyContext): Promise<void> {
    const errors = await runUndo(ctx.runner, rule.undo);
    if (errors.length) throw new Error(errors.join('; '));
  }
}
