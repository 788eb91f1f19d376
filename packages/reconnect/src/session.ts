/**
 * One resumable session on the server (its number counter, its subscriptions and its bounded
 * buffer of numbered messages) and the store that holds sessions. The store is a small
 * interface so that a cross-process store (e.g. Redis Streams) can replace the in-memory one.
 */
import type { ServerWebSocket } from '@strata-ws/server';

/** Bytes counted per buffered message on top of its payload (entry object, array slot). */
export const ENTRY_OVERHEAD = 64;

/** One numbered message kept for replay. */
export interface BufferedMessage {
  /** Its number in the session (1, 2, 3 ...). */
  readonly seq: number;
  /** The payload (shared by every session that buffers the same publish; never mutated). */
  readonly data: Uint8Array;
  /** Binary or text. */
  readonly isBinary: boolean;
  /** The publisher's compression choice. */
  readonly compress: boolean | undefined;
  /** Bytes counted against the bounds: payload + {@link ENTRY_OVERHEAD}. */
  readonly size: number;
}

/** A resumable session: what survives while its client is away. */
export class ResumeSession {
  /** The id the client presents to resume (22 base64url characters, 128 random bits). */
  readonly id: string;
  /** The number given to the last message (0 before any). */
  seq = 0;
  /** Bytes buffered (payloads + overhead). */
  bytes = 0;
  /** Topics the session is subscribed to, in subscription order. */
  readonly topics: Set<string> = new Set();
  /** The connection it is attached to, or null while its client is away. */
  ws: ServerWebSocket<unknown> | null = null;
  /** When the client went away (clock ms); meaningful while `ws` is null. */
  detachedAt = 0;
  #buffer: BufferedMessage[] = [];
  #head = 0;

  constructor(id: string) {
    this.id = id;
  }

  /** The number of the oldest message still buffered (`seq + 1` when none is). */
  get firstSeq(): number {
    return this.#head < this.#buffer.length ? this.#buffer[this.#head]!.seq : this.seq + 1;
  }

  /** Messages buffered. */
  get length(): number {
    return this.#buffer.length - this.#head;
  }

  /** Adds a message; returns its size. */
  push(message: BufferedMessage): number {
    this.#buffer.push(message);
    this.bytes += message.size;
    return message.size;
  }

  /** Drops the oldest message; returns the bytes freed (0 when empty). */
  dropOldest(): number {
    if (this.#head >= this.#buffer.length) return 0;
    const message = this.#buffer[this.#head]!;
    this.#buffer[this.#head++] = undefined as unknown as BufferedMessage;
    this.bytes -= message.size;
    this.#compact();
    return message.size;
  }

  /** Drops the messages numbered up to `seq` (the client has them); returns the bytes freed. */
  dropThrough(seq: number): number {
    let freed = 0;
    while (this.#head < this.#buffer.length && this.#buffer[this.#head]!.seq <= seq) {
      freed += this.dropOldest();
    }
    return freed;
  }

  /** The buffered messages numbered after `seq`, oldest first. */
  after(seq: number): BufferedMessage[] {
    const out: BufferedMessage[] = [];
    for (let i = this.#head; i < this.#buffer.length; i++) {
      const message = this.#buffer[i]!;
      if (message.seq > seq) out.push(message);
    }
    return out;
  }

  /** Drops everything buffered; returns the bytes freed. */
  clear(): number {
    const freed = this.bytes;
    this.#buffer = [];
    this.#head = 0;
    this.bytes = 0;
    return freed;
  }

  #compact(): void {
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * Where sessions live. The default {@link MemorySessionStore} is a Map. A store shared across
 * processes would keep this shape for the sessions attached here (the synchronous hot path)
 * and load a session from its shared log when a client resumes on another process.
 */
export interface SessionStore {
  /** The session with this id, if present. */
  get(id: string): ResumeSession | undefined;
  /** Adds (or replaces) a session. */
  set(session: ResumeSession): void;
  /** Removes a session; returns whether it was present. */
  delete(id: string): boolean;
  /** Sessions held. */
  readonly size: number;
  /** Every session held. */
  values(): IterableIterator<ResumeSession>;
  /**
   * Optional, for stores shared across processes: find a session this process does not hold
   * (e.g. its client was connected to another process). Called before the 101 when a client
   * asks to resume an id `get` does not know, with the number of the last message the client
   * has (`seq`); the session returned (its `seq`, buffered messages and `topics`) is adopted as
   * detached, then resumed from `seq`. `undefined`: not found (the client is told to resync).
   */
  load?(id: string, seq: number): Promise<ResumeSession | undefined>;
  /**
   * Optional, for shared stores: whether a topic message should reach `session` (a store that
   * replayed a session loaded from elsewhere drops the live copies of what it replayed).
   * Default: every message is delivered.
   */
  accept?(session: ResumeSession, topic: string, message: SessionMessage): boolean;
  /** Optional, for shared stores: `message` on `topic` was numbered `seq` for `session`. */
  delivered?(session: ResumeSession, seq: number, topic: string, message: SessionMessage): void;
  /** Optional, for shared stores: `message` skipped `session` (its connection was excluded). */
  skipped?(session: ResumeSession, topic: string, message: SessionMessage): void;
  /** Optional, for shared stores: `session` subscribed to `topic` (after its `seq`). */
  subscribed?(session: ResumeSession, topic: string): void;
  /** Optional, for shared stores: `session` unsubscribed from `topic`. */
  unsubscribed?(session: ResumeSession, topic: string): void;
  /** Optional, for shared stores: a connection took `session` (new, resumed or taken over). */
  attached?(session: ResumeSession): void;
  /** Optional, for shared stores: the connection of `session` went away. */
  detached?(session: ResumeSession): void;
}

/**
 * A topic message as the session hooks of a {@link SessionStore} see it (the server's
 * `PubSubMessage`: a shared store may recognise the object its adapter delivered).
 */
export interface SessionMessage {
  /** The payload (UTF-8 for text); never mutated. */
  readonly data: Uint8Array;
  /** Binary or text. */
  readonly isBinary: boolean;
  /** The publisher's compression choice. */
  readonly compress: boolean | undefined;
}

/** The in-memory store (the default). */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, ResumeSession>();

  /** @inheritDoc */
  get(id: string): ResumeSession | undefined {
    return this.#sessions.get(id);
  }

  /** @inheritDoc */
  set(session: ResumeSession): void {
    this.#sessions.set(session.id, session);
  }

  /** @inheritDoc */
  delete(id: string): boolean {
    return this.#sessions.delete(id);
  }

  /** @inheritDoc */
  get size(): number {
    return this.#sessions.size;
  }

  /** @inheritDoc */
  values(): IterableIterator<ResumeSession> {
    return this.#sessions.values();
  }
}
