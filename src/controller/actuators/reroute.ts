// Reroute by policy routing: `ip rule add <selector> table N priority P` sends the selected traffic
// (fwmark, from and/or to) to table N, where `ip route replace DST via GW dev DEV table N` gives it the
// other path. A table serves one live rule and must be empty before it is used (so no route of anyone
// else is overwritten); revert deletes exactly the rule and the route that were added.

import type { Command } from '../command.ts';
import { devName, fwmark, ipAddress, ipPrefix, netnsName, rulePriority, tableId } from '../names.ts';
import type { Actuator, ApplyContext, Rule } from '../actuator.ts';
import { runUndo } from '../actuator.ts';
import { checkParams } from './params.ts';

export interface RerouteParams {
  netns: string | null;
  table: number;
  priority: number;
  /** Selector: at least one of these. */
  fwmark: number | null;
  from: string | null;
  to: string | null;
  /** The route put in the table. */
  dst: string;
  via: string | null;
  dev: string | null;
}

export class RerouteActuator implements Actuator<RerouteParams> {
  readonly name = 'reroute';
  readonly kernel = true;
  readonly lasting = true;
  readonly tools = ['ip'] as const;

  validate(params: Record<string, unknown>): RerouteParams {
    const p = checkParams(
      'reroute',
      params,
      { netns: netnsName, table: tableId, priority: rulePriority, fwmark, from: ipPrefix, to: ipPrefix, dst: ipPrefix, via: ipAddress, dev: devName },
      ['table', 'dst'],
    );
    const r: RerouteParams = {
      netns: (p.netns as string | undefined) ?? null,
      table: p.table as number,
      priority: (p.priority as number | undefined) ?? 1000,
      fwmark: (p.fwmark as number | undefined) ?? null,
      from: (p.from as string | undefined) ?? null,
      to: (p.to as string | undefined) ?? null,
      dst: p.dst as string,
      via: (p.via as string | undefined) ?? null,
      dev: (p.dev as string | undefined) ?? null,
    };
    if (r.fwmark === null && r.from === null && r.to === null) throw new Error('reroute: needs a selector (fwmark, from or to); refusing to reroute all traffic');
    if (r.via === null && r.dev === null) throw new Error('reroute: needs via or dev for the route');
    return r;
  }

  key(p: RerouteParams): string {
    return `reroute ${p.netns ?? '-'}/table ${p.table}`;
  }

  describe(p: RerouteParams): string {
    return `${p.netns ?? 'host'} ${this.selector(p).join(' ')} -> table ${p.table} ${this.route(p).join(' ')}`;
  }

  async apply(rule: Rule<RerouteParams>, ctx: ApplyContext): Promise<void> {
    const p = rule.params;
    const existing = await this.tableRoutes(p, ctx);
    if (existing) throw new Error(`${p.netns ?? 'host'}: table ${p.table} is not empty (${existing.split('\n')[0]}); reroute needs a table of its own`);
    const ruleArgs = [...this.selector(p), 'table', String(p.table), 'priority', String(p.priority)];
    const routeArgs = [...this.route(p), 'table', String(p.table)];
    const undo: Command[] = [
      { tool: 'ip', netns: p.netns, args: ['rule', 'del', ...ruleArgs] },
      { tool: 'ip', netns: p.netns, args: ['route', 'del', p.dst, 'table', String(p.table)] },
    ];
    rule.undo = undo;
    ctx.journal(rule, undo);
    await ctx.runner.change({ tool: 'ip', netns: p.netns, args: ['route', 'replace', ...routeArgs] });
    await ctx.runner.change({ tool: 'ip', netns: p.netns, args: ['rule', 'add', ...ruleArgs] });
  }

  async revert(rule: Rule<RerouteParams>, ctx: ApplyContext): Promise<void> {
    const errors = await runUndo(ctx.runner, rule.undo);
    if (errors.length) throw new Error(errors.join('; '));
  }

  private selector(p: RerouteParams): string[] {
    const s: string[] = [];
    if (p.fwmark !== null) s.push('fwmark', String(p.fwmark));
    if (p.from !== null) s.push('from', p.from);
    if (p.to !== null) s.push('to', p.to);
    return s;
  }

  private route(p: RerouteParams): string[] {
    const r = [p.dst];
    if (p.via !== null) r.push('via', p.via);
    if (p.dev !== null) r.push('dev', p.dev);
    return r;
  }

  /** The table's routes as `ip route show table N` prints them; '' when empty or absent. */
  private async tableRoutes(p: RerouteParams, ctx: ApplyContext): Promise<string> {
    const family = p.dst.includes(':') ? '-6' : '-4';
    try {
      return (await ctx.runner.exec({ tool: 'ip', netns: p.netns, args: [family, 'route', 'show', 'table', String(p.table)] })).trim();
    } catch (err) {
      if (/table does not exist/i.test((err as Error).message)) return '';
      throw err;
    }
  }
}
