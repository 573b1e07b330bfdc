// Runs a bench child (learn-child.ts) in a fresh Node process of its own process group, with a timeout that
// kills the whole group; returns the child's JSON report and the wall time seen from outside.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildOutcome<R> {
  /** The child's report, or null when it timed out. */
  report: R | null;
  wallMs: number;
  timedOut: boolean;
}

const CHILD = fileURLToPath(new URL('./learn-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/**
 * `guard`, checked at start and every second while the child runs, may return a reason to stop it (e.g. its spill files
 * outgrow the disk budget); the child's group is then killed and the call rejects with that reason.
 */
export async function runBenchChild<R>(mode: string, options: object, timeoutMs: number, guard?: () => string | null): Promise<ChildOutcome<R>> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', TSX, CHILD, mode, JSON.stringify(options)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
  let timedOut = false;
  const killGroup = () => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  let stopped: string | null = null;
  const check = () => {
    stopped ??= guard?.() ?? null;
    if (stopped) killGroup();
  };
  check();
  const poll = guard ? setInterval(check, 1000) : undefined;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    const wallMs = performance.now() - started;
    if (stopped) throw new Error(`bench child "${mode}" stopped after ${(wallMs / 1000).toFixed(1)} s: ${stopped}`);
    if (timedOut) return { report: null, wallMs, timedOut };
    if (code !== 0) throw new Error(`bench child "${mode}" exited with ${code}: ${stderr.trim()}`);
    const line = stdout.trim().split('\n').pop() ?? '';
    try {
      return { report: JSON.parse(line) as R, wallMs, timedOut };
    } catch {
      throw new Error(`bench child "${mode}" printed no JSON report: ${JSON.stringify(line.slice(0, 200))}`);
    }
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    killGroup();
  }
}
