// The SDK's connection to its driver: a Unix stream socket with length-prefixed frames (reconnecting in the
// background) or UDP datagrams on loopback. Sends never block and never throw: they report whether the
// packet left, so the tagger can count what it dropped. Packets from the driver (replies, hints) are decoded here.

import { createConnection, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { FrameReader, FRAME_PREFIX_BYTES, PacketType, decodePacket, type DecodedPacket } from '../protocol/wire.ts';
import type { Endpoint } from './endpoint.ts';

export type SendOutcome = 'sent' | 'no-driver' | 'slow-driver';

export interface Transport {
  /** `framed` holds FRAME_PREFIX_BYTES of room before the packet; the transport owns it afterwards. */
  send(framed: Buffer): SendOutcome;
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface TransportEvents {
  onPacket(p: DecodedPacket): void;
  onBadPacket(err: Error): void;
  /** Called when a (re)connection is established; the tagger announces itself. */
  onConnect(): void;
  /** Whether anyone reads hints; when not, a hint packet is only counted (onHintUnread), not decoded. */
  wantsHints(): boolean;
  onHintUnread(): void;
}

/** Decodes one packet from the driver for the tagger; a hint nobody listens to skips its JSON body (no allocation). */
function deliver(ev: TransportEvents, packet: Uint8Array, packetNo: number): void {
  if (packet.length > 3 && packet[3] === PacketType.hint && !ev.wantsHints()) {
    ev.onHintUnread();
    return;
  }
  try {
    ev.onPacket(decodePacket(packet, packetNo));
  } catch (err) {
    ev.onBadPacket(err as Error);
  }
}

export function openTransport(ep: Endpoint, maxPendingBytes: number, reconnectMs: number, ev: TransportEvents): Transport {
  return ep.kind === 'unix' ? new UnixTransport(ep.path, maxPendingBytes, reconnectMs, ev) : new UdpTransport(ep.host, ep.port, maxPendingBytes, ev);
}

class UnixTransport implements Transport {
  private socket: Socket | null = null;
  private ready = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private packetsIn = 0;
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly path: string,
    private readonly maxPendingBytes: number,
    private readonly reconnectMs: number,
    private readonly ev: TransportEvents,
  ) {
    this.connect();
  }

  get connected(): boolean {
    return this.ready;
  }

  private connect(): void {
    if (this.closed) return;
    const reader = new FrameReader();
    const onPacket = (packet: Buffer) => deliver(this.ev, packet, ++this.packetsIn);
    // Replies and hints are read into one buffer owned by this connection (no stream machinery or Buffer per read):
    // decodePacket copies what it keeps, and FrameReader copies a partial frame before the buffer is reused.
    const s = createConnection({
      path: this.path,
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          const r = reader.push(Buffer.from(buf.buffer, buf.byteOffset, n), onPacket);
          if (!r.ok) {
            this.ev.onBadPacket(new Error(`driver sent a frame of ${r.length} bytes; reconnecting`));
            s.destroy();
            return false;
          }
          return true;
        },
      },
    });
    this.socket = s;
    s.unref();
    s.setNoDelay?.(true);
    s.on('connect', () => {
      this.ready = true;
      this.ev.onConnect();
    });
    s.on('error', () => {
      // 'close' follows and schedules the reconnection; the tagger counts what it could not send.
    });
    s.on('close', () => {
      this.ready = false;
      if (this.socket === s) this.socket = null;
      if (!this.closed) {
        this.timer = setTimeout(() => this.connect(), this.reconnectMs);
        this.timer.unref();
      }
    });
  }

  send(framed: Buffer): SendOutcome {
    const s = this.socket;
    if (!this.ready || !s) return 'no-driver';
    if (s.writableLength > this.maxPendingBytes) return 'slow-driver';
    framed.writeUInt32LE(framed.length - FRAME_PREFIX_BYTES, 0);
    s.write(framed);
    return 'sent';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const s = this.socket;
    this.ready = false;
    if (!s) return;
    // Closing holds the process open (socket ref'd, timer not unref'd) until the last batch is out, so an
    // app whose only remaining work is `await tagger.close()` does not exit with the close unsettled.
    s.ref();
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000);
      s.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      s.end();
    });
  }
}

class UdpTransport implements Transport {
  private readonly socket: UdpSocket;
  private closed = false;
  private packetsIn = 0;
  private bound = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxPendingBytes: number,
    private readonly ev: TransportEvents,
  ) {
    this.socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('error', () => {
      // Send errors (e.g. nothing listening) surface per send; the socket stays usable.
    });
    this.socket.on('message', (msg) => deliver(this.ev, msg, ++this.packetsIn));
    this.socket.bind(0, host, () => {
      this.bound = true;
      this.socket.unref();
      this.ev.onConnect();
    });
  }

  get connected(): boolean {
    return this.bound && !this.closed;
  }

  send(framed: Buffer): SendOutcome {
    if (!this.connected) return 'no-driver';
    if (this.socket.getSendQueueSize() > this.maxPendingBytes) return 'slow-driver';
    this.socket.send(framed.subarray(FRAME_PREFIX_BYTES), this.port, this.host);
    return 'sent';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
