// A long-lived `tc -j -batch -` or `ip -j -batch -` process: command lines in, one JSON line out (from the
// last, a `show`), so a sample or a change-and-verify costs a pipe round trip (~0.1 ms) instead of a process
// spawn (~2.6 ms). Queries run one at a time; a failed command makes the tool exit, and the next query respawns
// it (argv arrays only, never a shell).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

interface Pending {
  lines: string[];
  resolve: (out: unknown) => void;
  reject: (err: Error) => void;
}

export class BatchProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private stdoutBuf = '';
  private stderrTail = '';
  private queue: Pending[] = [];
  private current: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  /** `argv` starts with the program, e.g. ['tc', '-s', '-j', '-batch', '-']. */
  constructor(
    private readonly argv: readonly string[],
    private readonly timeoutMs = 2000,
  ) {}

  /**
   * Runs batch commands (lines without newline) and resolves with the parsed JSON output of the last one,
   * which must print (a `show`); the commands before it must print nothing (changes such as `class change`).
   */
  query(...lines: string[]): Promise<unknown> {
    if (lines.length === 0 || lines.some((l) => l.includes('\n'))) return Promise.reject(new Error('batch commands: at least one, without newlines'));
    if (this.closed) return Promise.reject(new Error(`${this.argv[0]} batch process closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ lines, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue) p.reject(new Error('closed'));
    this.queue = [];
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin.end();
      const kill = setTimeout(() => child.kill('SIGKILL'), 500);
      kill.unref();
    });
  }

  private next(): void {
    if (this.current || this.queue.length === 0) return;
    const p = this.queue.shift()!;
    this.current = p;
    const child = this.ensureChild();
    this.timer = setTimeout(() => this.fail(new Error(`${this.argv[0]} did not answer "${p.lines.at(-1)}" within ${this.timeoutMs} ms`), true), this.timeoutMs);
    child.stdin.write(p.lines.join('\n') + '\n');
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stdoutBuf = '';
    this.stderrTail = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => this.onStdout(d));
    child.stderr.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-500);
    });
    child.stdin.on('error', () => {
      // EPIPE when the tool exited after a failed command; 'exit' reports it.
    });
    child.on('error', (err) => {
      if (this.child === child) this.child = null;
      this.fail(new Error(`cannot run ${this.argv[0]}: ${err.message}`), false);
    });
    child.on('exit', (code) => {
      if (this.child === child) this.child = null;
      if (this.current) this.fail(new Error(`${this.argv.join(' ')} exited (${code}): ${this.stderrTail.trim() || 'no message'}`), false);
    });
    return child;
  }

  private onStdout(d: string): void {
    this.stdoutBuf += d;
    let nl: number;
    while ((nl = this.stdoutBuf.indexOf('\n')) >= 0) {
      const line = this.stdoutBuf.slice(0, nl);
      this.stdoutBuf = this.stdoutBuf.slice(nl + 1);
      if (line.trim() === '') continue;
      const p = this.current;
      if (!p) continue;
      this.finish();
      try {
        p.resolve(JSON.parse(line));
      } catch (err) {
        p.reject(new Error(`${this.argv[0]} printed non-JSON for "${p.lines.at(-1)}": ${(err as Error).message}`));
      }
      this.next();
    }
  }

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
  }

  private fail(err: Error, kill: boolean): void {
    const p = this.current;
    this.finish();
    if (kill && this.child) {
      this.child.kill('SIGKILL');
      this.child = null;
    }
    p?.reject(err);
    this.next();
  }
}
