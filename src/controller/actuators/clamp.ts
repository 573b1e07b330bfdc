// Congestion-window clamp at a responder: `ip route add DST via GW dev DEV cwnd lock K` caps every new TCP
// connection the responder opens or accepts towards DST at K segments in flight, so N responders answering one
// fan-out put at most N * K frames into the bottleneck's buffer and their kernels, clocked by ACKs, keep the
// port busy without the application. Linux hands a route's locked cwnd to a connection through its TCP metrics
// cache, so apply and revert also delete the cached metrics of DST (a stale entry would hide the new route, an
// entry made under the rule would keep the lock for an hour after it). The route carries its own protocol
// number: `route add` fails when any route to DST exists (a route of someone else is never replaced) and the
// journaled `route del ... proto` can only remove ours. Established connections keep the window they started with.

import type { Command } from '../command.ts';
import { devName, integer, ipAddress, netnsName } from '../names.ts';
import type { Actuator, ApplyContext, Rule } from '../actuator.ts';
import { checkParams } from './params.ts';

export interface ClampParams {
  netns: string | null;
  /** The address whose connections are clamped (the app's). */
  dst: string;
  via: string | null;
  dev: string | null;
  /** Segments in flight per connection. */
  cwnd: number;
}

/** `ip tcp_metrics delete` of an address that has no entry fails with ESRCH: nothing was cached, nothing to undo. */
const NO_ENTRY = /No such process/i;
/** The routing protocol number of clamp routes (unassigned in iproute2's rt_protos). */
export const CLAMP_ROUTE_PROTO = '157';

export class ClampActuator implements Actuator<ClampParams> {
  readonly name = 'clamp';
  readonly kernel = true;
  readonly lasting = true;
  readonly tools = ['ip'] as const;

  validate(params: Record<string, unknown>): ClampParams {
    const p = checkParams('clamp', params, { netns: netnsName, dst: ipAddress, via: ipAddress, dev: devName, cwnd: (f, v) => integer(f, v, 1, 10_000) }, ['dst', 'cwnd']);
    const c: ClampParams = {
      netns: (p.netns as string | undefined) ?? null,
      dst: p.dst as string,
      via: (p.via as string | undefined) ?? null,
      dev: (p.dev as string | undefined) ?? null,
      cwnd: p.cwnd as number,
    };
    if (c.via === null && c.dev === null) throw new Error('clamp: needs via or dev for the route');
    return c;
  }

  key(p: ClampParams): string {
    return `clamp ${p.netns ?? '-'}/${p.dst}`;
  }

  describe(p: ClampParams): string {
    return `${p.netns ?? 'host'} ${this.route(p).join(' ')} cwnd lock ${p.cwnd}`;
  }

  async apply(rule: Rule<ClampParams>, ctx: ApplyContext): Promise<void> {
    const p = rule.params;
    const undo: Command[] = [{ tool: 'ip', netns: p.netns, args: ['route', 'del', ...this.route(p)] }, this.forgetMetrics(p)];
    rule.undo = undo;
    ctx.journal(rule, undo);
    // Both lines go down the namespace's batch at once; the metrics are deleted after the route is in place.
    const added = ctx.runner.change({ tool: 'ip', netns: p.netns, args: ['route', 'add', ...this.route(p), 'cwnd', 'lock', String(p.cwnd)] });
    const forgotten = this.forget(p, ctx);
    try {
      await added;
    } catch (err) {
      // Nothing was added, so there is nothing to undo.
      rule.undo = [];
      await forgotten.catch(() => undefined);
      if (/File exists/i.test((err as Error).message)) throw new Error(`${p.netns ?? 'host'}: a route to ${this.prefix(p)} exists; clamp adds a route of its own and never replaces one`);
      throw err;
    }
    await forgotten;
  }

  /** Runs the journaled undo: the route's deletion, then the metrics' (where an address without an entry is no error). */
  async revert(rule: Rule<ClampParams>, ctx: ApplyContext): Promise<void> {
    const [routeDel] = rule.undo;
    const results = await Promise.allSettled([ctx.runner.change(routeDel!), this.forget(rule.params, ctx)]);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (errors.length) throw new Error(errors.join('; '));
  }

  private route(p: ClampParams): string[] {
    const r = [this.prefix(p)];
    if (p.via !== null) r.push('via', p.via);
    if (p.dev !== null) r.push('dev', p.dev);
    return [...r, 'proto', CLAMP_ROUTE_PROTO];
  }

  /** The host route's prefix: the address alone. */
  private prefix(p: ClampParams): string {
    return `${p.dst}/${p.dst.includes(':') ? 128 : 32}`;
  }

  private forgetMetrics(p: ClampParams): Command {
    return { tool: 'ip', netns: p.netns, args: ['tcp_metrics', 'delete', 'address', p.dst] };
  }

  /** Deletes the cached TCP metrics of dst; an address without an entry is not an error. */
  private async forget(p: ClampParams, ctx: ApplyContext): Promise<void> {
    await ctx.runner.change(this.forgetMetrics(p)).catch((err: Error) => {
      if (!NO_ENTRY.test(err.message)) throw err;
    });
  }
}
