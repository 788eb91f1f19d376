/**
 * The direct links between node:cluster workers: each worker listens on a Unix domain socket
 * (a named pipe on Windows), learns the other workers' addresses from the primary once, and
 * the newer worker of each pair connects to the older one. Over a link travel length-prefixed
 * binary frames — the peer's hello, its subscriptions and their acknowledgements, and bus
 * envelopes — so a published message crosses with one write in the publishing worker and one
 * read in each subscribed worker, not through the primary's IPC relay. The publishes of one
 * tick leave in one write per link; received envelopes are views of the read buffers.
 *
 * Frame: `[uint32 LE body length][uint8 kind][body]`; kinds below. Hello's body is the
 * sender's node id (ASCII); sub, unsub and ack carry a topic (UTF-8); msg carries an envelope.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HEADER = 5;
const KIND_HELLO = 1;
const KIND_SUB = 2;
const KIND_UNSUB = 3;
const KIND_ACK = 4;
const KIND_MSG = 5;

/** A worker's link address and node id, as the primary hands them out. */
export interface PeerAddress {
  readonly address: string;
  readonly nodeId: string;
}

/** What the mesh reports to its adapter. */
export interface MeshEvents {
  /** A msg frame: the envelope bytes (a view of the read buffer). */
  message(envelope: Uint8Array): void;
  /** A frame that is not one of this version's, or a frame over the size limit. */
  malformed(): void;
  /** Messages of a write that failed (the link broke): they may not have arrived. */
  lost(topic: string, count: number): void;
  /** Messages not sent to one link because its backlog was over the byte bound. */
  full(topic: string, count: number): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A fresh address for a worker's link listener. */
export function linkAddress(): string {
  const name = `strata-${process.pid}-${randomBytes(6).toString('hex')}`;
  return process.platform === 'win32' ? `\\\\.\\pipe\\${name}` : join(tmpdir(), `${name}.sock`);
}

/** Removes a dead worker's socket file (the primary calls it; a pipe needs nothing). */
export function removeLinkAddress(address: string): void {
  if (process.platform === 'win32') return;
  try {
    unlinkSync(address);
  } catch {
    // Already gone (the worker closed its listener).
  }
}

function frame(kind: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32LE(body.length, 0);
  out[4] = kind;
  out.set(body, HEADER);
  return out;
}

/** One link to another worker. */
class Link {
  /** The peer's node id, once its hello arrived. */
  nodeId = '';
  /** Topics the peer has subscribers of (it sent sub, not yet unsub). */
  readonly topics = new Set<string>();
  /** Read bytes of an incomplete frame. */
  chunks: Buffer[] = [];
  buffered = 0;
  /** Bytes the incomplete frame needs in all (0 until its header is complete). */
  needed = 0;
  constructor(
    readonly socket: Socket,
    /** Whether this side connected (it sent its hello first). */
    readonly outgoing: boolean,
  ) {}
}

/** One message of this tick towards the links. */
interface Outgoing {
  readonly topic: string;
  readonly envelope: Uint8Array;
}

/**
 * The links of one worker. `queue` collects the tick's envelopes; at the end of the tick each
 * link gets one write with the frames of the topics its worker subscribed to.
 */
export class Mesh {
  readonly address: string = linkAddress();
  readonly #events: MeshEvents;
  readonly #maxQueueBytes: number;
  readonly #maxFrame: number;
  readonly #hello: Buffer;
  readonly #server: Server;
  /** Links whose peer is known (hello sent and, for incoming ones, received). */
  readonly #links = new Set<Link>();
  /** Topics with local subscribers (sent to every new link). */
  readonly #open = new Set<string>();
  /** Per topic opened: links that have not acknowledged its sub yet. */
  readonly #waiting = new Map<
    string,
    { links: Set<Link>; resolve: () => void; promise: Promise<void> }
  >();
  #items: Outgoing[] = [];
  #itemBytes = 0;
  /** Largest write backlog of a link at the last flush. */
  #backlog = 0;
  #flushScheduled = false;
  #closed = false;
  #ready: Promise<void> = Promise.resolve();
  readonly #flush = (): void => this.flush();

  constructor(nodeId: string, maxQueueBytes: number, events: MeshEvents) {
    this.#events = events;
    this.#maxQueueBytes = maxQueueBytes;
    this.#maxFrame = Math.max(maxQueueBytes, 64 * 1024 * 1024);
    this.#hello = frame(KIND_HELLO, encoder.encode(nodeId));
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Listens on {@link Mesh.address}; never keeps the process alive. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      // exclusive: a worker's own listener, not a handle shared through the primary.
      this.#server.listen({ path: this.address, exclusive: true }, () => {
        this.#server.off('error', reject);
        this.#server.unref();
        resolve(this.address);
      });
    });
  }

  /** Connects to the workers that were there first; `ready` waits for their hellos. */
  join(peers: readonly PeerAddress[]): void {
    this.#ready = Promise.all(peers.map((peer) => this.#connect(peer))).then(() => {});
  }

  /** Resolves once the links to the workers named by `join` are up (or failed). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Bytes of this tick's frames plus the largest link backlog. */
  get queuedBytes(): number {
    return this.#itemBytes + this.#backlog;
  }

  /** Whether any linked worker has subscribers of `topic`. */
  wants(topic: string): boolean {
    for (const link of this.#links) if (link.topics.has(topic)) return true;
    return false;
  }

  /** A local subscriber opened `topic`: tell every linked worker. */
  open(topic: string): void {
    this.#open.add(topic);
    const links = new Set<Link>();
    const body = encoder.encode(topic);
    for (const link of this.#links) {
      link.socket.write(frame(KIND_SUB, body));
      links.add(link);
    }
    this.#wait(topic, links);
  }

  /** The last local subscriber of `topic` left. */
  close(topic: string): void {
    this.#open.delete(topic);
    this.#settle(topic);
    const body = encoder.encode(topic);
    for (const link of this.#links) link.socket.write(frame(KIND_UNSUB, body));
  }

  /** Resolves once the links known now (and those being set up) acknowledged `topic`. */
  async subscribed(topic: string): Promise<void> {
    await this.#ready;
    await this.#waiting.get(topic)?.promise;
  }

  /**
   * Adds an envelope to this tick's writes; false (not sent) when the tick's frames plus the
   * largest link backlog would pass `maxQueueBytes`.
   */
  queue(topic: string, envelope: Uint8Array): boolean {
    const size = HEADER + envelope.length;
    if (this.#itemBytes + size + this.#backlog > this.#maxQueueBytes) {
      // The backlog seen at the last flush may have drained since.
      this.#backlog = 0;
      for (const link of this.#links) {
        if (link.socket.writableLength > this.#backlog) this.#backlog = link.socket.writableLength;
      }
      if (this.#itemBytes + size + this.#backlog > this.#maxQueueBytes) return false;
    }
    this.#items.push({ topic, envelope });
    this.#itemBytes += size;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  /** Writes this tick's frames: one write per link, with the topics it subscribed to. */
  flush(): void {
    this.#flushScheduled = false;
    const items = this.#items;
    const total = this.#itemBytes;
    this.#items = [];
    this.#itemBytes = 0;
    let backlog = 0;
    let all: Buffer | null = null;
    for (const link of this.#links) {
      let count = 0;
      let bytes = 0;
      for (const item of items) {
        if (link.topics.has(item.topic)) {
          count++;
          bytes += HEADER + item.envelope.length;
        }
      }
      if (count === 0) continue;
      const topic = (items[0] as Outgoing).topic;
      const socket = link.socket;
      if (socket.writableLength + bytes > this.#maxQueueBytes) {
        this.#events.full(topic, count);
        continue;
      }
      let out: Buffer;
      if (count === items.length) {
        all ??= pack(items, total, null);
        out = all;
      } else out = pack(items, bytes, link.topics);
      socket.write(out, (error) => {
        if (error) this.#events.lost(topic, count);
      });
      if (socket.writableLength > backlog) backlog = socket.writableLength;
    }
    this.#backlog = backlog;
  }

  /** Closes the listener and every link (what this tick queued is written first). */
  shutdown(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#server.close();
    for (const link of this.#links) link.socket.end();
    for (const topic of [...this.#waiting.keys()]) this.#settle(topic);
  }

  #connect(peer: PeerAddress): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      const socket = connect({ path: peer.address });
      const link = new Link(socket, true);
      this.#setUp(link, resolve);
      socket.once('connect', () => {
        // The newer worker speaks first: its hello, then its subscriptions.
        this.#known(link);
      });
    });
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#setUp(new Link(socket, false), () => {});
  }

  /** Wires a socket; `greeted` runs once the peer's hello arrived or the link failed. */
  #setUp(link: Link, greeted: () => void): void {
    const socket = link.socket;
    socket.unref();
    socket.setNoDelay?.(true);
    let greetedOnce = false;
    const greet = (): void => {
      if (greetedOnce) return;
      greetedOnce = true;
      greeted();
    };
    socket.on('data', (chunk: Buffer) => {
      if (!this.#read(link, chunk, greet)) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#links.delete(link);
      for (const topic of [...this.#waiting.keys()]) this.#unwait(topic, link);
      greet();
    });
  }

  /** The peer is known: send the hello (an outgoing link) or the reply, and our topics. */
  #known(link: Link): void {
    if (this.#closed) {
      link.socket.destroy();
      return;
    }
    this.#links.add(link);
    const frames = [this.#hello];
    for (const topic of this.#open) {
      frames.push(frame(KIND_SUB, encoder.encode(topic)));
      this.#waiting.get(topic)?.links.add(link);
    }
    link.socket.write(Buffer.concat(frames));
  }

  /** Parses what arrived; false on a broken frame (the link is closed). */
  #read(link: Link, chunk: Buffer, greet: () => void): boolean {
    let data = chunk;
    if (link.buffered > 0) {
      link.chunks.push(chunk);
      link.buffered += chunk.length;
      if (link.needed === 0 && link.buffered >= HEADER) {
        const head = Buffer.concat(link.chunks);
        link.chunks = [head];
        link.needed = HEADER + head.readUInt32LE(0);
      }
      if (link.needed === 0 || link.buffered < link.needed) return true;
      data = Buffer.concat(link.chunks, link.buffered);
      link.chunks = [];
      link.buffered = 0;
      link.needed = 0;
    }
    let offset = 0;
    const end = data.length;
    while (end - offset >= HEADER) {
      const length = data.readUInt32LE(offset);
      if (length > this.#maxFrame) {
        this.#events.malformed();
        return false;
      }
      if (end - offset - HEADER < length) break;
      const kind = data[offset + 4] as number;
      const body = data.subarray(offset + HEADER, offset + HEADER + length);
      offset += HEADER + length;
      if (!this.#frame(link, kind, body, greet)) return false;
    }
    if (offset < end) {
      const rest = data.subarray(offset);
      link.chunks = [rest];
      link.buffered = rest.length;
      link.needed = rest.length >= HEADER ? HEADER + rest.readUInt32LE(0) : 0;
      if (link.needed - HEADER > this.#maxFrame) {
        this.#events.malformed();
        return false;
      }
    }
    return true;
  }

  #frame(link: Link, kind: number, body: Buffer, greet: () => void): boolean {
    if (kind === KIND_MSG) {
      this.#events.message(body);
      return true;
    }
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      this.#events.malformed();
      return false;
    }
    switch (kind) {
      case KIND_HELLO:
        if (link.nodeId !== '') break;
        link.nodeId = text;
        if (!link.outgoing) this.#known(link);
        greet();
        return true;
      case KIND_SUB:
        link.topics.add(text);
        link.socket.write(frame(KIND_ACK, body));
        return true;
      case KIND_UNSUB:
        link.topics.delete(text);
        return true;
      case KIND_ACK:
        this.#unwait(text, link);
        return true;
      default:
        break;
    }
    this.#events.malformed();
    return false;
  }

  #wait(topic: string, links: Set<Link>): void {
    this.#settle(topic);
    if (links.size === 0) return;
    let resolve = (): void => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#waiting.set(topic, { links, resolve, promise });
  }

  #unwait(topic: string, link: Link): void {
    const waiting = this.#waiting.get(topic);
    if (waiting === undefined || !waiting.links.delete(link)) return;
    if (waiting.links.size === 0) this.#settle(topic);
  }

  #settle(topic: string): void {
    const waiting = this.#waiting.get(topic);
    if (waiting === undefined) return;
    this.#waiting.delete(topic);
    waiting.resolve();
  }
}

/** The msg frames of `items` (those of `topics` when given) in one buffer of `bytes`. */
function pack(items: readonly Outgoing[], bytes: number, topics: Set<string> | null): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (const item of items) {
    if (topics !== null && !topics.has(item.topic)) continue;
    const envelope = item.envelope;
    out.writeUInt32LE(envelope.length, offset);
    out[offset + 4] = KIND_MSG;
    out.set(envelope, offset + HEADER);
    offset += HEADER + envelope.length;
  }
  return out;
}
