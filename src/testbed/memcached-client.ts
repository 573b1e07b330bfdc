// A minimal memcached text-protocol client over one TCP connection: `set` and multi-key `get k1 k2 ...`,
// requests pipelined in order, replies parsed incrementally; reports when the first reply byte arrives.

import { connect, type Socket } from 'node:net';

interface Waiter {
  kind: 'get' | 'set';
  values: Map<string, Buffer>;
  firstByteAt: number | null;
  resolve: (r: GetResult | void) => void;
  reject: (e: Error) => void;
}

export interface GetResult {
  values: Map<string, Buffer>;
  /** performance.now() when the first byte of this reply arrived. */
  firstByteAt: number;
  bytes: number;
}

const KEY_RE = /^[\x21-\x7e]{1,250}$/;

export class MemcachedClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiters: Waiter[] = [];
  private pendingValue: { key: string; bytes: number } | null = null;
  private closed: Error | null = null;

  private constructor(private readonly sock: Socket, readonly label: string) {
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error(`memcached ${label}: connection closed`)));
  }

  static connect(host: string, port: number, timeoutMs = 5000): Promise<MemcachedClient> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`memcached ${host}:${port}: connect timeout`));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new MemcachedClient(sock, `${host}:${port}`));
      });
    });
  }

  /** Connects, retrying refused connections until `deadlineMs` (a freshly started server needs a moment). */
  static async connectWithRetry(host: string, port: number, deadlineMs = 5000): Promise<MemcachedClient> {
    const end = performance.now() + deadlineMs;
    for (;;) {
      try {
        return await MemcachedClient.connect(host, port);
      } catch (e) {
        if (performance.now() > end) throw new Error(`memcached ${host}:${port}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /**
   * Opens a connection and closes it again, resolving once the server's side has closed too: the server's kernel
   * then has TCP metrics for this client (where a route's locked cwnd reaches new connections from).
   */
  static touch(host: string, port: number, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`memcached ${host}:${port}: open and close took over ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => sock.end());
      sock.resume();
      sock.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  set(key: string, value: Buffer): Promise<void> {
    checkKey(key);
    return this.request('set', Buffer.concat([Buffer.from(`set ${key} 0 0 ${value.length}\r\n`), value, Buffer.from('\r\n')])) as Promise<void>;
  }

  get(keys: string[]): Promise<GetResult> {
    if (!keys.length) return Promise.reject(new Error('get: no keys'));
    keys.forEach(checkKey);
    return this.request('get', Buffer.from(`get ${keys.join(' ')}\r\n`)) as Promise<GetResult>;
  }

  private request(kind: 'get' | 'set', payload: Buffer): Promise<GetResult | void> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.waiters.push({ kind, values: new Map(), firstByteAt: null, resolve, reject });
      this.sock.write(payload);
    });
  }

  private onData(d: Buffer): void {
    const now = performance.now();
    const head = this.waiters[0];
    if (head && head.firstByteAt === null) head.firstByteAt = now;
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    try {
      this.parse();
    } catch (e) {
      this.fail(e as Error);
      this.sock.destroy();
    }
  }

  private parse(): void {
    for (;;) {
      const w = this.waiters[0];
      if (!w) {
        if (this.buf.length) throw new Error(`memcached ${this.label}: unexpected data without request`);
        return;
      }
      if (w.firstByteAt === null && this.buf.length) w.firstByteAt = performance.now();
      if (this.pendingValue) {
        const need = this.pendingValue.bytes + 2;
        if (this.buf.length < need) return;
        w.values.set(this.pendingValue.key, this.buf.subarray(0, this.pendingValue.bytes));
        this.buf = this.buf.subarray(need);
        this.pendingValue = null;
        continue;
      }
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) {
        if (this.buf.length > 2048) throw new Error(`memcached ${this.label}: reply line too long`);
        return;
      }
      const line = this.buf.subarray(0, eol).toString('latin1');
      this.buf = this.buf.subarray(eol + 2);
      if (w.kind === 'set') {
        this.waiters.shift();
        if (line === 'STORED') w.resolve();
        else w.reject(new Error(`memcached ${this.label}: set: ${line}`));
        continue;
      }
      if (line === 'END') {
        this.waiters.shift();
        let bytes = 0;
        for (const v of w.values.values()) bytes += v.length;
        w.resolve({ values: w.values, firstByteAt: w.firstByteAt ?? performance.now(), bytes });
        continue;
      }
      const m = /^VALUE (\S+) \d+ (\d+)(?: \d+)?$/.exec(line);
      if (!m) throw new Error(`memcached ${this.label}: unexpected reply line ${JSON.stringify(line.slice(0, 80))}`);
      this.pendingValue = { key: m[1]!, bytes: Number(m[2]) };
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  close(): void {
    this.closed ??= new Error(`memcached ${this.label}: closed`);
    this.sock.end();
    this.sock.destroy();
  }
}

function checkKey(k: string): void {
  if (!KEY_RE.test(k)) throw new Error(`memcached key ${JSON.stringify(k)}: 1-250 printable characters without spaces`);
}
