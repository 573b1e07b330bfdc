// Reading a running SmartTags process over its HTTP endpoint, and printing signatures and rules as text
// (shared by `smarttags status` and `smarttags signatures`).

import type { RuleDecision, SignaturesUpdate } from '../bus/messages.ts';
import type { Signature } from '../engine/signature.ts';
import type { SystemStatus } from './system.ts';

export const DEFAULT_STATUS_URL = 'http://127.0.0.1:9464';

export async function fetchJson<T>(base: string, path: string, timeoutMs = 3000): Promise<T> {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`no SmartTags instance answers at ${base} (is \`smarttags up\` running? --url to choose): ${(err as Error).message}`);
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export function fetchStatus(base: string): Promise<SystemStatus> {
  return fetchJson<SystemStatus>(base, '/status');
}

export function fetchSignatures(base: string): Promise<SignaturesUpdate | null> {
  return fetchJson<SignaturesUpdate | null>(base, '/signatures');
}

function us(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)} s`;
  if (a >= 1e3) return `${(x / 1e3).toPrecision(3)} ms`;
  return `${Math.round(x)} us`;
}

export function formatSignatures(sigs: readonly Signature[]): string[] {
  return sigs.map(
    (s) =>
      `  ${s.tag.name}@${s.tag.locale} -> ${s.event.name}@${s.event.locale} (${s.relation})  p=${s.probability.toFixed(2)} lift=${s.lift.toPrecision(3)} q=${s.qValue.toExponential(1)} support=${s.support}  lead p50 ${us(s.leadTime.p50)}  window [${us(s.window.start)}, ${us(s.window.end)}]`,
  );
}

export function formatRules(rules: readonly RuleDecision[], nowUs: number): string[] {
  return rules.map((r) => `  ${r.id}  ${r.action} ${r.target}  ${r.status}  expires in ${us(r.expiresAt - nowUs)}  ${JSON.stringify(r.params)}`);
}

export function formatStatus(s: SystemStatus, nowUs: number): string {
  const lines = [`smarttags pid ${s.pid}: ${s.roles.join(', ')} (up since ${s.startedAt})`];
  if (s.signatures) {
    lines.push(`signatures: generation ${s.signatures.generation}, ${s.signatures.count}`);
    for (const g of s.signatures.list) lines.push(`  ${g.tag} -> ${g.event} (${g.relation})  p=${g.probability.toFixed(2)}  lead p50 ${us(g.leadP50Us)}  window [${us(g.windowUs[0])}, ${us(g.windowUs[1])}]`);
  } else lines.push('signatures: none yet');
  if (s.controller) {
    lines.push(`active rules: ${s.controller.activeRules.length}`, ...formatRules(s.controller.activeRules, nowUs));
    const c = s.controller.counters;
    lines.push(`controller: ${c.requests} requests, ${c.applied} applied, ${c.expired} expired, ${c.refused} refused, ${c.hints} hints, ${c.errors} errors`);
  }
  if (s.engine) {
    const e = s.engine;
    lines.push(`engine: ${e.tags} tags, ${e.events} events, ${e.rejected} rejected, window ${e.windowSize} records (${e.windowEvicted} evicted), ${e.learnRuns} learn runs (${e.learnFailures} failed, last ${e.lastLearnMs.toFixed(0)} ms), ${e.duplicateBatches} duplicate / ${e.missingBatches} missing batches`);
  }
  for (const d of s.drivers) {
    const c = d.counters;
    lines.push(`driver ${d.id} [${d.locales.join(', ')}] socket ${d.socket}: ${d.apps} apps, ${c.tagsReceived} tags, ${c.eventsReceived} events, ${c.rejected} rejected, ${c.dropped} dropped, ${c.actionsRequested} actions, ${c.signatures} signatures`);
  }
  return lines.join('\n');
}
