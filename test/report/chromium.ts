// Runs headless Chromium on a local file for the report tests, in its own process group with a fresh
// profile directory; the whole group is killed afterwards and the profile removed.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian package chromium)`;
}

/** Runs Chromium headless with `extra` flags on `url`; resolves with its stdout. */
export async function runChromium(extra: string[], url: string, timeoutMs = 30_000): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'smarttags-chromium-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`, ...extra, url,
  ];
  const child = spawn(CHROMIUM, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium did not finish within ${timeoutMs} ms`)), timeoutMs);
      child.on('error', (e) => { clearTimeout(timer); reject(e); });
      child.on('close', (c) => { clearTimeout(timer); resolve(c); });
    });
    if (code !== 0) throw new Error(`chromium exited with ${code}: ${Buffer.concat(err).toString().slice(-2000)}`);
    return Buffer.concat(out).toString('utf8');
  } finally {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group has already exited.
    }
    await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}
