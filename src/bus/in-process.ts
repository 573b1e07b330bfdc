// The default bus: subjects and handlers in one process, no server. Handlers run synchronously in
// publication order; a throwing handler is counted and does not stop delivery to the others.

import { handlerPromise, type Bus, type Handler, type Responder } from './bus.ts';

export class InProcessBus implements Bus {
  private readonly subs = new Map<string, Set<Handler<unknown>>>();
  private readonly responders = new Map<string, Responder<unknown, unknown>>();
  private closed = false;
  handlerErrors = 0;

  publish<T>(subject: string, msg: T): void {
    if (this.closed) return;
    const set = this.subs.get(subject);
    if (!set) return;
    for (const h of set) {
      try {
        handlerPromise(h(msg))?.then(undefined, () => this.handlerErrors++);
      } catch {
        this.handlerErrors++;
      }
    }
  }

  subscribe<T>(subject: string, handler: Handler<T>): () => void {
    let set = this.subs.get(subject);
    if (!set) this.subs.set(subject, (set = new Set()));
    set.add(handler as Handler<unknown>);
    return () => set.delete(handler as Handler<unknown>);
  }

  request<Q, R>(subject: string, req: Q, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => this.call<Q, R>(subject, req, timeoutMs, (err, reply) => (err ? reject(err) : resolve(reply as R))));
  }

  call<Q, R>(subject: string, req: Q, timeoutMs: number, done: (err: Error | null, reply?: R) => void): void {
    const responder = this.responders.get(subject);
    if (this.closed || !responder) return done(new Error(`no responder for ${subject}`));
    let answer: unknown;
    try {
      answer = responder(req);
    } catch (err) {
      return done(err instanceof Error ? err : new Error(String(err)));
    }
    // An answer that exists at once (a hint decided synchronously) is handed over at once: no timer, no promise.
    if (typeof (answer as PromiseLike<unknown> | null)?.then !== 'function') return done(null, answer as R);
    // One timer per pending answer: the answer settles the call as soon as it exists, the timer only if first.
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      done(new Error(`request on ${subject} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    (answer as PromiseLike<unknown>).then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(null, v as R);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }

  respond<Q, R>(subject: string, responder: Responder<Q, R>): () => void {
    if (this.responders.has(subject)) throw new Error(`a responder for ${subject} exists already`);
    this.responders.set(subject, responder as Responder<unknown, unknown>);
    return () => this.responders.delete(subject);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
    this.responders.clear();
  }
}
