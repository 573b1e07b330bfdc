// The default bus: subjects and handlers in one process, no server. Handlers run synchronously in
// publication order; a throwing handler is counted and does not stop delivery to the others.

import type { Bus, Handler, Responder } from './bus.ts';

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
        h(msg);
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

  async request<Q, R>(subject: string, req: Q, timeoutMs: number): Promise<R> {
    const responder = this.responders.get(subject);
    if (this.closed || !responder) throw new Error(`no responder for ${subject}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`request on ${subject} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await Promise.race([Promise.resolve(responder(req)), timeout])) as R;
    } finally {
      clearTimeout(timer);
    }
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
