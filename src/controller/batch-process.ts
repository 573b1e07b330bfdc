// One long-lived `tc -batch -` or `ip -batch -` process per (tool, namespace): a change costs one
// line on a pipe (~0.1 ms) instead of a process spawn (~3 ms). After each command we send a sentinel
// that always fails (an unknown object, refused before any netlink or ioctl work): since tc/ip report every
// failure as "Command failed -:LINE" on stderr, in order, the sentinel's failure line tells that the command
// finished, and a failure line carrying the command's own line number tells that it failed and why.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Tool } from './command.ts';

/** Both tools answer `Object "stsentinel" is unknown` and "Command failed -:LINE", touching no kernel state. */
const SENTINEL: Record<Tool, string> = { tc: 'stsentinel', ip: 'stsentinel' };
const FAILED_RE = /^Command failed -:(\d+)$/;

interface Pending {
  line: number;
  sentinelLine: number;
  text: string;
  error: string | null;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class BatchProcess {
  private child: ChildProcess | null = null;
  private nextLine = 1;
  private readonly pending: Pending[] = [];
  private stderrBuf = '';
  private messages: string[] = [];
  private closed = false;

  constructor(
    readonly tool: Tool,
    readonly netns: string | null,
    private readonly timeoutMs = 5000,
  ) {}

  /** Runs one already validated command line (tokens joined by spaces); rejects with the tool's message. */
  run(tokens: string[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.tool} batch for ${this.netns ?? 'host'} is closed`));
    const child = this.ensure();
    const text = tokens.join(' ');
    return new Promise<void>((resolve, reject) => {
      const line = this.nextLine;
      const sentinelLine = line + 1;
      this.nextLine += 2;
      const timer = setTimeout(() => this.fail(new Error(`${this.tool} batch: no answer to "${text}" within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending.push({ line, sentinelLine, text, error: null, resolve, reject, timer });
      child.stdin!.write(`${text}\n${SENTINEL[this.tool]}\n`);
    });
  }

  /** Ends the process (EOF on stdin), waiting for it to exit; kills it after 2 s. */
  async close(): Promise<void> {
    this.closed = true;
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

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const args = [...(this.netns === null ? [] : ['-n', this.netns]), '-force', '-batch', '-'];
    const child = spawn(this.tool, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    this.nextLine = 1;
    this.stderrBuf = '';
    this.messages = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => this.onStderr(d));
    child.stdin!.on('error', () => {
      // EPIPE when the process died: the exit handler rejects what is pending.
    });
    child.on('error', (err) => this.fail(new Error(`${this.tool} batch could not run: ${err.message}`), child));
    child.on('exit', (code, signal) => {
      const said = [...this.messages, this.stderrBuf.trim()].filter(Boolean).join('; ');
      this.fail(new Error(`${this.tool} batch for ${this.netns ?? 'host'} exited (${signal ?? code})${said ? `: ${said}` : ''}`), child);
    });
    return child;
  }

  private onStderr(data: string): void {
    this.stderrBuf += data;
    let nl: number;
    while ((nl = this.stderrBuf.indexOf('\n')) >= 0) {
      const line = this.stderrBuf.slice(0, nl).trim();
      this.stderrBuf = this.stderrBuf.slice(nl + 1);
      const m = FAILED_RE.exec(line);
      if (!m) {
        if (line) this.messages.push(line);
        continue;
      }
      const n = Number(m[1]);
      const head = this.pending[0];
      const msgs = this.messages;
      this.messages = [];
      if (!head) continue;
      if (n === head.line) head.error = msgs.join('; ') || 'failed';
      else if (n === head.sentinelLine) {
        this.pending.shift();
        clearTimeout(head.timer);
        if (head.error === null) head.resolve();
        else head.reject(new Error(`${this.tool}${this.netns === null ? '' : ` -n ${this.netns}`} ${head.text}: ${head.error}`));
      }
    }
  }

  /** Rejects everything pending and drops the process; the next run starts a fresh one. */
  private fail(err: Error, which: ChildProcess | null = this.child): void {
    if (which !== this.child) return;
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
