// Entry point of the MemCached client process inside the client namespace: reads a WorkloadConfig (JSON)
// from argv, runs it -- instrumented with the SmartTags SDK when `tagging` is set: an `MG` Tag (value:
// predicted response bytes) at every MultiGet and an `RS` Tag when its responses start (at the next immediate,
// off the query's path) -- and prints {"results": [...], "tagger": stats} on stdout; errors go to stderr with
// exit code 1. In the action phase, for a MultiGet the controller acts on, the client asks for advice (its keys
// go a few at a time until it comes) and follows the byte-window or stagger hint, or the clamp rule, of the
// reply; after a wait that timed out, the last hint. Any other MG Tag goes right after the requests are written.

import { createTagger, type Hint, type Tagger, type WaitResult } from '../sdk/index.ts';
import { runWorkload, type IssueAdvice, type WorkloadConfig, type WorkloadHooks } from './memcached-workload.ts';

const raw = process.argv[2];
let tagger: Tagger | null = null;

/**
 * The application hint of a controller reply for this query: a byte window of outstanding responses, or a
 * stagger spreading the per-server requests by one slot each.
 */
function adviceOf(hints: readonly Hint[]): IssueAdvice | undefined {
  const window = hints.find((h) => h.action === 'window');
  const windowBytes = Number(window?.params['windowBytes']);
  const requestBytes = Number(window?.params['requestBytes']);
  if (window && windowBytes > 0 && requestBytes > 0) return { windowBytes, requestBytes };
  const stagger = hints.find((h) => h.action === 'stagger');
  const slotUs = Number(stagger?.params['slotUs']);
  if (stagger && Number.isFinite(slotUs) && slotUs > 0) return { staggerMs: slotUs / 1000 };
  return undefined;
}

/** When the responders' clamp rules the reply reports applied expire (wall-clock ms), or 0. */
function clampExpiry(r: WaitResult): number {
  if (r.status !== 'decided') return 0;
  const clamps = r.reply.rules.filter((d) => d.action === 'clamp' && d.status === 'applied');
  return clamps.length ? Math.min(...clamps.map((d) => d.expiresAt)) / 1000 : 0;
}

/** A clamp rule this close to its expiry is not relied on without waiting for the Tag that extends it. */
const CLAMP_SLACK_MS = 2;

/** Closes the tagger while a referenced timer keeps the event loop alive: the SDK's close waits on unref'd handles. */
async function closeTagger(t: Tagger | null): Promise<void> {
  if (!t) return;
  const keepAlive = setTimeout(() => undefined, 2000);
  try {
    await t.close();
  } finally {
    clearTimeout(keepAlive);
  }
}
try {
  if (!raw) throw new Error('usage: memcached-workload-main <config-json>');
  const cfg = JSON.parse(raw) as WorkloadConfig;
  const hooks: WorkloadHooks = {};
  const waits: Record<string, number> = {};
  if (cfg.tagging) {
    const t = createTagger({ locale: cfg.tagging.locale, endpoint: cfg.tagging.endpoint });
    tagger = t;
    const wait = cfg.tagging.wait;
    // The last advice the controller gave for a query it acted on: followed when a wait times out, so a large
    // query the network could not answer in time is not sent as a full fan-out.
    let lastAdvice: IssueAdvice | undefined;
    // When the responders' clamp rule, as the controller last reported it, expires.
    let clampedUntilMs = 0;
    const ask = (predicted: number) =>
      t.tagAndWait('MG', predicted, { timeoutMs: 50 }).then((r) => {
        const how = r.status === 'decided' && r.local ? 'standing' : r.status;
        waits[how] = (waits[how] ?? 0) + 1;
        clampedUntilMs = Math.max(clampedUntilMs, clampExpiry(r));
        return r;
      });
    // What follows the query's requests once they are written, off its path: its MG Tag when the controller does not
    // act on it (identification, or a value below the signature's act-above), or the wait that extends a clamp rule.
    let after: 'tag' | 'ask' | 'none' = 'tag';
    hooks.afterIssue = (_q, predicted) => {
      if (after === 'tag') t.tag('MG', predicted);
      else if (after === 'ask') void ask(predicted);
    };
    if (wait) hooks.onIssue = (_q, predicted) => {
      after = 'tag';
      if (!t.actsOn('MG', predicted)) {
        waits['no-action'] = (waits['no-action'] ?? 0) + 1;
        return undefined;
      }
      // A MultiGet the controller acts on, while the clamp rule it applied for an earlier one lives: sent at once
      // over the clamped connections; its Tag, which extends the rule (the reply moves clampedUntilMs on), follows
      // the requests, so the driver's and controller's turn does not delay them.
      if (clampedUntilMs > Date.now() + CLAMP_SLACK_MS) {
        waits['clamped-ahead'] = (waits['clamped-ahead'] ?? 0) + 1;
        after = 'ask';
        return { clampedUntilMs };
      }
      after = 'none';
      return waitForAdvice(predicted);
    };
    const waitForAdvice = async (predicted: number): Promise<IssueAdvice | undefined> => {
      const r = await ask(predicted);
      if (r.status === 'timeout') return lastAdvice;
      if (r.status !== 'decided') return undefined;
      if (clampExpiry(r) > Date.now()) return { clampedUntilMs };
      const advice = adviceOf(r.reply.hints);
      if (advice) lastAdvice = advice;
      return advice;
    };
    // The RS Tag goes at the next immediate: after the query's clock stops when this response is its last one.
    hooks.onFirstResponse = (q) => {
      const responders = q.parts.length;
      setImmediate(() => t.tag('RS', responders));
    };
  }
  const results = await runWorkload(cfg, hooks);
  await closeTagger(tagger);
  process.stdout.write(JSON.stringify({ results, tagger: tagger ? { ...tagger.stats, waits } : null }) + '\n');
} catch (e) {
  await closeTagger(tagger).catch(() => undefined);
  process.stderr.write(`memcached workload: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
}
