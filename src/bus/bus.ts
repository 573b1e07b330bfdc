// The Bus contract shared by the in-process bus (default) and the NATS JetStream bus (across machines).

/**
 * Receives a message; what it returns is ignored unless it is a promise: on a durable subject the
 * acknowledgement then waits until it resolves, and a rejection asks for redelivery (buses without
 * redelivery only count the rejection).
 */
export type Handler<T> = (msg: T) => unknown;

/** The promise a handler returned, if it returned one. */
export function handlerPromise(returned: unknown): PromiseLike<unknown> | null {
  return typeof (returned as PromiseLike<unknown> | null)?.then === 'function' ? (returned as PromiseLike<unknown>) : null;
}
export type Responder<Q, R> = (req: Q) => Promise<R> | R;

export interface Bus {
  /** Fire-and-forget publication; delivery to every current subscriber of the subject. */
  publish<T>(subject: string, msg: T): void;
  /** Returns a function that unsubscribes. */
  subscribe<T>(subject: string, handler: Handler<T>): () => void;
  /** Request/reply with a single responder per subject. Rejects after timeoutMs. */
  request<Q, R>(subject: string, req: Q, timeoutMs: number): Promise<R>;
  /**
   * Optional: request/reply answered through `done`, called before `call` returns when the responder answers at once
   * (no promise, no microtask between question and answer); otherwise as request() would settle.
   */
  call?<Q, R>(subject: string, req: Q, timeoutMs: number, done: (err: Error | null, reply?: R) => void): void;
  respond<Q, R>(subject: string, responder: Responder<Q, R>): () => void;
  close(): Promise<void>;
}
