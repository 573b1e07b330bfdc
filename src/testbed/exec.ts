// Running the privileged tools (ip, tc, memcached, iperf3) with argv arrays only: one-shot commands with
// their stderr in the error, and long-lived child processes that the registry can stop.

import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export class CommandError extends Error {
  constructor(readonly argv: string[], readonly code: number | null, readonly stderr: string) {
    super(`command failed (${code}): ${argv.join(' ')}: ${stderr.trim() || 'no output'}`);
  }
}

/** Runs argv[0] with the rest as arguments; resolves with stdout, rejects with a CommandError. */
export function run(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : null;
        reject(new CommandError(argv, code, stderr || err.message));
      } else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Starts a long-lived process; rejects if it cannot be spawned at all. */
export function startProcess(argv: string[], opts: SpawnOptions = {}): Promise<ChildProcess> {
  const [file, ...args] = argv;
  if (!file) throw new Error('startProcess: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      child.on('error', () => undefined);
      resolve(child);
    });
  });
}

/** Sends SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
export function stopProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
