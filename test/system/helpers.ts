// Shared helpers of the system tests: polling with a deadline, temp dirs, metrics scraping.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricSum, parsePrometheusText } from '../../src/system/metrics.ts';

/** Polls `cond` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function tempDir(prefix: string): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Scrapes `<base>/metrics` and returns a summing lookup. */
export async function scrape(base: string): Promise<(name: string, labels?: Record<string, string>) => number> {
  const res = await fetch(new URL('/metrics', base));
  const samples = parsePrometheusText(await res.text());
  return (name, labels = {}) => metricSum(samples, name, labels);
}
