// Long-lived `tc`/`ip` `-batch -` processes (argv arrays, never a shell): a command costs a line on a pipe
// (~0.1 ms) instead of a process spawn (~3 ms). One core keeps the process, its requests, timeouts and respawn;
// two faces say when a request is done: BatchChanges (a sentinel on stderr) and BatchQueries (JSON on stdout).

import { spawn, type ChildProcess } from 'node:child_process';
import { netnsName } from './names.ts';

export type Tool = 'ip' | 'tc';

interface Request {
  /** What is written to the tool's stdin (lines, each ending in a newline). */
  input: string;
  /** How the request reads in errors. */
  what: string;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * The process and its requests. Requests are answered in order; `serial` sends the next one only when the
 * previous is answered. A timeout, an exit or a spawn failure rejects every request sent to that process;
 * the waiting ones (and the next request) go to a fresh process.
 */
abstract class BatchCore<R extends Request> {
  private child: ChildProcess | null = null;
  /** Sent and not yet answered, oldest first. */
  protected readonly inFlight: R[] = [];
  private readonly waiting: R[] = [];
  private stdoutBuf = '';
  private stderrBuf = '';
  /** What the tool said on stderr since the last answer (at most 5 lines), for the error when it exits. */
  private said: string[] = [];
  private closed = false;

  constructor(
    readonly tool: Tool,
    readonly netns: string | null,
    private readonly flags: readonly string[],
    private readonly readsStdout: boolean,
    private readonly serial: boolean,
    private readonly timeoutMs: number,
  ) {
    if (netns !== null) netnsName('netns', netns);
  }

  /** Ends the process (EOF on stdin), waiting for it to exit; kills it after 2 s. Waiting requests are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.waiting.splice(0)) r.reject(new Error(`${this.label()} closed`));
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.stdin!.end();
    });
  }

  /** Starts the process ahead of the first request, so that request costs only a line on the pipe. */
  warm(): void {
    if (!this.closed) this.ensure();
  }

  /** Queues a request (sent now unless serial and one is in flight); rejects at once when closed. */
  protected submit(r: R): void {
    if (this.closed) return r.reject(new Error(`${this.label()} is closed`));
    this.waiting.push(r);
    this.sendWaiting();
  }

  /** Removes the oldest in-flight request (it is answered) and sends what waits. */
  protected answered(): R | undefined {
    const r = this.inFlight.shift();
    if (r) clearTimeout(r.timer);
    this.said = [];
    this.sendWaiting();
    return r;
  }

  /** A fresh process started: line numbers and such restart. */
  protected abstract onSpawn(): void;
  /** The request is being written to the current process. */
  protected onSend(_r: R): void {}
  protected abstract onStderrLine(line: string): void;
  protected onStdoutLine(_line: string): void {}

  protected label(): string {
    return `${this.tool} batch for ${this.netns ?? 'host'}`;
  }

  private sendWaiting(): void {
    while (this.waiting.length > 0 && !(this.serial && this.inFlight.length > 0)) {
      const r = this.waiting.shift()!;
      const child = this.ensure();
      r.timer = setTimeout(() => this.fail(new Error(`${this.tool} batch: no answer to "${r.what}" within ${this.timeoutMs} ms`), child), this.timeoutMs);
      this.inFlight.push(r);
      this.onSend(r);
      child.stdin!.write(r.input);
    }
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const args = [...(this.netns === null ? [] : ['-n', this.netns]), ...this.flags, '-batch', '-'];
    const child = spawn(this.tool, args, { stdio: ['pipe', this.readsStdout ? 'pipe' : 'ignore', 'pipe'] });
    this.child = child;
    this.stdoutBuf = '';
    this.stderrBuf = '';
    this.said = [];
    this.onSpawn();
    if (child.stdout) {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        if (child !== this.child) return; // a dropped process's late output answers nothing
        this.stdoutBuf = eachLine(this.stdoutBuf + d, (l) => this.onStdoutLine(l));
      });
    }
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (child !== this.child) return;
      this.stderrBuf = eachLine(this.stderrBuf + d, (l) => {
        const line = l.trim();
        if (line) this.said = [...this.said.slice(-4), line];
        this.onStderrLine(line);
      });
    });
    child.stdin!.on('error', () => {
      // EPIPE when the process died: the exit handler rejects what is in flight.
    });
    child.on('error', (err) => this.fail(new Error(`${this.tool} batch could not run: ${err.message}`), child));
    // 'close', not 'exit': 'exit' can come before the last of stderr is read, and the reason would be lost.
    child.on('close', (code, signal) => {
      const said = [...this.said, this.stderrBuf.trim()].filter(Boolean).join('; ');
      this.fail(new Error(`${this.label()} exited (${signal ?? code})${said ? `: ${said}` : ''}`), child);
    });
    return child;
  }

  /** Drops `which` (if still current), rejects what it had in flight, and sends what waits to a fresh one. */
  private fail(err: Error, which: ChildProcess): void {
    if (which !== this.child) return;
    this.child = null;
    if (which.exitCode === null && which.signalCode === null) which.kill('SIGKILL');
    for (const r of this.inFlight.splice(0)) {
      clearTimeout(r.timer);
      r.reject(err);
    }
    this.sendWaiting();
  }
}

/** Calls `f` on every complete line of `buf`; returns the incomplete rest. */
function eachLine(buf: string, f: (line: string) => void): string {
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    f(line);
  }
  return buf;
}

/** Both tools answer `Object "stsentinel" is unknown` and "Command failed -:LINE", touching no kernel state. */
const SENTINEL = 'stsentinel';
const FAILED_RE = /^Command failed -:(\d+)$/;

interface Change extends Request {
  line: number;
  error: string | null;
  resolve: () => void;
}

/**
 * Kernel changes through `tool [-n NS] -force -batch -`. After each command a sentinel that always fails (an
 * unknown object, refused before any netlink or ioctl work): tc/ip report every failure as "Command failed
 * -:LINE" on stderr, in order, so the sentinel's line tells the command finished, and a failure line with the
 * command's own number tells it failed and why. Changes are pipelined.
 */
export class BatchChanges extends BatchCore<Change> {
  private nextLine = 1;
  private messages: string[] = [];

  constructor(tool: Tool, netns: string | null, timeoutMs = 5000) {
    super(tool, netns, ['-force'], false, false, timeoutMs);
  }

  /** Runs one already validated command line (tokens joined by spaces); rejects with the tool's message. */
  run(tokens: string[]): Promise<void> {
    const text = tokens.join(' ');
    return new Promise<void>((resolve, reject) => {
      this.submit({ input: `${text}\n${SENTINEL}\n`, what: text, line: 0, error: null, resolve, reject });
    });
  }

  protected onSpawn(): void {
    this.nextLine = 1;
    this.messages = [];
  }

  /** A change and its sentinel take the next two line numbers of the process it is written to. */
  protected override onSend(c: Change): void {
    c.line = this.nextLine;
    this.nextLine += 2;
  }

  protected onStderrLine(line: string): void {
    const m = FAILED_RE.exec(line);
    if (!m) {
      if (line) this.messages.push(line);
      return;
    }
    const n = Number(m[1]);
    const msgs = this.messages;
    this.messages = [];
    const head = this.inFlight[0];
    if (!head) return;
    if (n === head.line) head.error = msgs.join('; ') || 'failed';
    else if (n === head.line + 1) {
      this.answered();
      if (head.error === null) head.resolve();
      else head.reject(new Error(`${this.tool}${this.netns === null ? '' : ` -n ${this.netns}`} ${head.what}: ${head.error}`));
    }
  }
}

interface Query extends Request {
  resolve: (out: unknown) => void;
}

/**
 * Reads through `tool [-n NS] -s -j -batch -`: command lines in, one JSON line out (from the last, a `show`).
 * Queries run one at a time; a failed command makes the tool exit, and the next query respawns it.
 */
export class BatchQueries extends BatchCore<Query> {
  constructor(tool: Tool, netns: string | null, timeoutMs = 2000) {
    super(tool, netns, ['-s', '-j'], true, true, timeoutMs);
  }

  /**
   * Runs batch commands (lines without newline) and resolves with the parsed JSON output of the last one,
   * which must print (a `show`); the commands before it must print nothing (changes such as `class change`).
   */
  query(...lines: string[]): Promise<unknown> {
    if (lines.length === 0 || lines.some((l) => l.includes('\n'))) return Promise.reject(new Error('batch commands: at least one, without newlines'));
    return new Promise((resolve, reject) => {
      this.submit({ input: lines.join('\n') + '\n', what: lines.at(-1)!, resolve, reject });
    });
  }

  protected onSpawn(): void {}
  protected onStderrLine(): void {}

  protected override onStdoutLine(line: string): void {
    if (line.trim() === '') return;
    const q = this.answered();
    if (!q) return;
    try {
      q.resolve(JSON.parse(line));
    } catch (err) {
      q.reject(new Error(`${this.tool} printed non-JSON for "${q.what}": ${(err as Error).message}`));
    }
  }
}
