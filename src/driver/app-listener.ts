// The driver's doors for applications: a Unix stream socket (length-prefixed frames) and an optional UDP
// loopback port. Decodes packets, counts malformed and oversized ones with the field and packet named, tracks
// each app's locale and packet sequence, and sends replies and hints back to the right app.

import { createServer, createConnection, type Server, type Socket } from 'node:net';
import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import { lstatSync, unlinkSync } from 'node:fs';
import {
  FrameReader,
  MAX_PACKET_BYTES,
  PacketType,
  WireError,
  decodePacket,
  encodeHint,
  encodeReply,
  encodeThresholds,
  frameHint,
  frameReply,
  frameThresholds,
  type DecodedBatch,
  type ReplyBody,
  type ThresholdsBody,
  type WireHint,
} from '../protocol/wire.ts';
import { countReject, type DriverCounters } from './counters.ts';
import { bindUdp } from './udp-bind.ts';

/** One application as the driver sees it: a stream connection or a UDP source address. */
export interface AppSource {
  readonly key: string;
  /** The app's locale: announced, or the driver's default when it sends none ("" before its first packet). */
  locale: string;
  reply(body: ReplyBody): boolean;
  hint(hint: WireHint): boolean;
  /** Sends the act-above table for the app's locale. */
  thresholds(body: ThresholdsBody): boolean;
}

export interface AppListenerHandlers {
  onBatch(batch: DecodedBatch, source: AppSource): void;
  /** An app announced a locale no other connected app had (subscribe to its hints). */
  onLocaleAdded(locale: string): void;
  /** The last app of a locale went away. */
  onLocaleRemoved(locale: string): void;
  /** An app's locale became known or changed (send it the act-above table of that locale). */
  onAppLocale(source: AppSource): void;
}

const MAX_UDP_SOURCES = 4096;
const MAX_APP_CONNECTIONS = 1024;
/** Bytes queued towards a slow app beyond which replies and hints to it are dropped. */
const MAX_APP_BACKLOG = 1 << 20;

export class AppListener {
  private server: Server | null = null;
  private udp: UdpSocket | null = null;
  private readonly connections = new Set<Socket>();
  private readonly udpSources = new Map<string, UdpSource>();
  private readonly byLocale = new Map<string, Set<AppSource>>();
  private readonly lastSeq = new WeakMap<AppSource, number>();
  private packetNo = 0;
  private replySeq = 0;

  private connectionNo = 0;

  /** `defaultLocale` is what apps that send no locale get stamped with (and receive hints for). */
  constructor(
    private readonly counters: DriverCounters,
    private readonly defaultLocale: string,
    private readonly handlers: AppListenerHandlers,
  ) {}

  /** Listens on a Unix socket path; replaces a stale socket file but refuses one a live driver serves. */
  async listenUnix(path: string): Promise<void> {
    await removeStaleSocket(path);
    const server = createServer((s) => this.onConnection(s));
    // Each connection holds at most one partial frame (< 64 KB); bounding connections bounds that memory.
    server.maxConnections = MAX_APP_CONNECTIONS;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Listens for UDP datagrams on a loopback address; returns the bound port. */
  async listenUdp(port: number, host = '127.0.0.1'): Promise<number> {
    const sock = await bindUdp(port, host, (msg, rinfo) => this.onDatagram(msg, rinfo));
    this.udp = sock;
    return sock.address().port;
  }

  /** Sends a hint to every connected app of its locale but `except`; returns how many received it. */
  deliverHint(hint: WireHint, except: AppSource | null): number {
    const set = this.byLocale.get(hint.locale);
    let n = 0;
    if (set) for (const s of set) if (s !== except && s.hint(hint)) n++;
    return n;
  }

  /** The locales of connected apps with the apps of each. */
  appsByLocale(): ReadonlyMap<string, ReadonlySet<AppSource>> {
    return this.byLocale;
  }

  get appCount(): number {
    return this.connections.size + this.udpSources.size;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.connections.add(socket);
    const reader = new FrameReader();
    // What is sent to one app leaves corked, in one writev (one syscall, one wake-up of the app): hints and tables
    // at the end of the event-loop turn; a reply, which the app waits for, as soon as the read that decided it is
    // handled (with every reply and hint decided in it), or in the microtask after a later decision, not behind the
    // rest of the turn's I/O. The first reply decided in a read, with nothing corked before it, leaves at once (not
    // behind the rest of the read's records, and without the cork's buffering); later ones in that read are corked.
    let corked = false;
    let flushQueued = false;
    let reading = false;
    let repliedInRead = false;
    const uncork = () => {
      flushQueued = false;
      if (!corked) return;
      corked = false;
      socket.uncork();
    };
    const send = (framed: Buffer, awaited: boolean): boolean => {
      if (socket.destroyed || socket.writableLength > MAX_APP_BACKLOG) return false;
      if (awaited && reading && !corked && !repliedInRead) {
        repliedInRead = true;
        socket.write(framed);
        return true;
      }
      if (!corked) {
        corked = true;
        socket.cork();
        if (!awaited) setImmediate(uncork);
      }
      socket.write(framed);
      if (awaited && !flushQueued) {
        flushQueued = true;
        if (!reading) queueMicrotask(uncork);
      }
      return true;
    };
    const source: AppSource = {
      key: `unix#${++this.connectionNo}`,
      locale: '',
      reply: (body) => send(frameReply(++this.replySeq, body), true),
      hint: (h) => send(frameHint(++this.replySeq, h), false),
      thresholds: (t) => send(frameThresholds(++this.replySeq, t), false),
    };
    socket.on('data', (chunk: Buffer) => {
      reading = true;
      repliedInRead = false;
      let r: ReturnType<FrameReader['push']>;
      try {
        r = reader.push(chunk, (packet) => this.onPacket(packet, source));
      } finally {
        reading = false;
        if (flushQueued) uncork();
      }
      if (!r.ok) {
        this.counters.packets++;
        countReject(this.counters, 'oversized', `${source.key}: frame length ${r.length} exceeds ${MAX_PACKET_BYTES}; connection closed`);
        socket.destroy();
      }
    });
    socket.on('error', () => {
      // 'close' follows.
    });
    socket.on('close', () => {
      this.connections.delete(socket);
      this.setLocale(source, '');
    });
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let source = this.udpSources.get(key);
    if (!source) {
      if (this.udpSources.size >= MAX_UDP_SOURCES) {
        const oldest = this.udpSources.values().next().value!;
        this.udpSources.delete(oldest.key);
        this.setLocale(oldest, '');
      }
      source = new UdpSource(key, rinfo, this);
      this.udpSources.set(key, source);
    }
    if (msg.length > MAX_PACKET_BYTES) {
      this.counters.packets++;
      countReject(this.counters, 'oversized', `udp ${key}: datagram of ${msg.length} bytes exceeds ${MAX_PACKET_BYTES}`);
      return;
    }
    this.onPacket(msg, source);
  }

  /** Sends a datagram to a UDP app (used by UdpSource). */
  sendUdp(packet: Uint8Array, rinfo: RemoteInfo): boolean {
    const udp = this.udp;
    if (!udp || udp.getSendQueueSize() > MAX_APP_BACKLOG) return false;
    udp.send(packet, rinfo.port, rinfo.address);
    return true;
  }

  nextReplySeq(): number {
    return ++this.replySeq;
  }

  private onPacket(packet: Buffer, source: AppSource): void {
    const no = ++this.packetNo;
    this.counters.packets++;
    let decoded;
    try {
      decoded = decodePacket(packet, no);
    } catch (err) {
      const msg = err instanceof WireError ? err.message : `packet ${no}: ${(err as Error).message}`;
      countReject(this.counters, 'malformed', `${source.key}: ${msg}`);
      return;
    }
    if (decoded.type !== PacketType.batch) {
      countReject(this.counters, 'malformed', `${source.key}: packet ${no}: field type at byte 3: apps send batches, not type ${decoded.type}`);
      return;
    }
    const batch = decoded.batch;
    const last = this.lastSeq.get(source);
    if (last !== undefined) {
      const gap = (batch.seq - last - 1) >>> 0;
      if (gap > 0 && gap < 0x80000000) this.counters.packetsLostInTransit += gap;
    }
    this.lastSeq.set(source, batch.seq);
    const locale = batch.locale || this.defaultLocale;
    if (locale !== source.locale) {
      this.setLocale(source, locale);
      this.handlers.onAppLocale(source);
    }
    this.handlers.onBatch(batch, source);
  }

  private setLocale(source: AppSource, locale: string): void {
    if (source.locale) {
      const set = this.byLocale.get(source.locale);
      if (set) {
        set.delete(source);
        if (set.size === 0) {
          this.byLocale.delete(source.locale);
          this.handlers.onLocaleRemoved(source.locale);
        }
      }
    }
    source.locale = locale;
    if (!locale) return;
    let set = this.byLocale.get(locale);
    if (!set) {
      this.byLocale.set(locale, (set = new Set()));
      this.handlers.onLocaleAdded(locale);
    }
    set.add(source);
  }
}

class UdpSource implements AppSource {
  locale = '';
  constructor(
    readonly key: string,
    private readonly rinfo: RemoteInfo,
    private readonly listener: AppListener,
  ) {}

  reply(body: ReplyBody): boolean {
    return this.listener.sendUdp(encodeReply(this.listener.nextReplySeq(), body), this.rinfo);
  }

  hint(h: WireHint): boolean {
    return this.listener.sendUdp(encodeHint(this.listener.nextReplySeq(), h), this.rinfo);
  }

  thresholds(t: ThresholdsBody): boolean {
    return this.listener.sendUdp(encodeThresholds(this.listener.nextReplySeq(), t), this.rinfo);
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket = false;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`socket path ${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`socket path ${path} is served by a running driver`);
  unlinkSync(path);
}
