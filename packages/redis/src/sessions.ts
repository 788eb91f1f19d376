/**
 * `RedisSessionStore`: the resumable sessions of `@strata-ws/reconnect/server` shared through
 * Redis, so that a client can resume on a different process than the one it left (which may
 * have died). Payloads are not copied per session: they stay in the topics' streams (the
 * adapter's Streams mode, one XADD per publish). What each session adds in Redis is its
 * *log*: which stream entry got which session number (written once per tick, JSON chunks in a
 * stream bounded in bytes), plus an epoch counter that fences the process it left.
 *
 * Keys (`<p>` = the adapter's prefix): `<p>session:<id>` = epoch (INCR on each cross-process
 * resume), `<p>session:<id>:log:<epoch>` = the log. Both expire `windowMs` (+ a refresh
 * period) after the session was last touched.
 */
import {
  ENTRY_OVERHEAD,
  MemorySessionStore,
  ResumeSession,
  type SessionMessage,
  type SessionStore,
} from '@strata-ws/reconnect/server';
import type { RedisAdapter, StreamMessage } from './adapter.js';
import { compareIds } from './streams.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** The adapter the sessions wrap (`resume.adapter`), in `mode: 'streams'`. Required. */
  adapter: RedisAdapter;
  /**
   * The sessions' resume window, ms (give the same value as `resume.windowMs`): the keys of a
   * session expire this long (+ a third of it) after the session was last touched.
   * Default 30 000.
   */
  windowMs?: number;
  /** Bytes of log kept in Redis per session (older chunks are trimmed). Default 256 KiB. */
  maxLogBytes?: number;
  /**
   * Bytes of messages (payload + 64 each) read from the streams to replay one resume; past
   * it the client is told to resynchronise. Default 1 MiB (`resume.maxBytes`'s default).
   */
  maxReplayBytes?: number;
}

/** One line of a session's log: `[seq, kind, topic, entry id]`. */
type Kind = 'm' | 's' | 'u' | 'x';
interface Item {
  readonly seq: number;
  /** m: message numbered `seq`; s: subscribed (reads after `id`); u: unsubscribed; x: skipped. */
  readonly kind: Kind;
  readonly topic: string;
  /** Entry id; null: not in Redis (a publish that never got there); undefined: pending. */
  id: string | null | undefined;
}

/** A chunk of the log as stored: cursors before it, then its items. */
interface Chunk {
  readonly c: Record<string, string>;
  readonly i: [number, Kind, string, string | null][];
}

interface State {
  readonly logKey: string;
  readonly epochKey: string;
  chunk: number;
  readonly items: Item[];
  /** Topic -> last entry id read or numbered, as of the items written. */
  readonly cursors: Map<string, string>;
  readonly chunks: { no: number; bytes: number }[];
  logBytes: number;
  /** After a load: topic -> last entry id replayed (live copies up to it are dropped). */
  floors: Map<string, string> | null;
  attached: boolean;
  /** Detached here: another process may have taken the session on; reload it from Redis. */
  stale: boolean;
  /** Estimated bytes of `items` (not yet written). */
  pendingBytes: number;
  /** The log could not keep up (Redis away too long): the session is no longer resumable elsewhere. */
  broken: boolean;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `RedisSessionStore: ${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A `SessionStore` for `@strata-ws/reconnect/server` shared through Redis: sessions attached
 * to this process live in memory as before (the hot path stays synchronous); each change is
 * logged to Redis once per tick; a client resuming here a session another process held is
 * loaded from the log and the topics' streams before the 101 (see the README's guarantees).
 */
export class RedisSessionStore implements SessionStore {
  readonly #local = new MemorySessionStore();
  readonly #adapter: RedisAdapter;
  readonly #keyPrefix: string;
  readonly #ttl: number;
  readonly #maxLogBytes: number;
  readonly #maxReplayBytes: number;
  readonly #states = new WeakMap<ResumeSession, State>();
  readonly #dirty = new Set<ResumeSession>();
  readonly #attached = new Set<ResumeSession>();
  #flushScheduled = false;
  #retry: NodeJS.Timeout | null = null;
  readonly #refreshTimer: NodeJS.Timeout;

  constructor(options: RedisSessionStoreOptions) {
    const adapter = options?.adapter;
    if (adapter === undefined || adapter.mode !== 'streams') {
      throw new TypeError("RedisSessionStore: adapter must be a RedisAdapter in mode 'streams'");
    }
    this.#adapter = adapter;
    adapter.trackEntryIds();
    this.#keyPrefix = `${adapter.keyPrefix}session:`;
    const windowMs = positive('windowMs', options.windowMs, 30_000);
    const refresh = Math.ceil(windowMs / 3);
    this.#ttl = windowMs + refresh;
    this.#maxLogBytes = positive('maxLogBytes', options.maxLogBytes, 256 * 1024);
    this.#maxReplayBytes = positive('maxReplayBytes', options.maxReplayBytes, 1024 * 1024);
    this.#refreshTimer = setInterval(() => this.#refresh(), refresh).unref();
  }

  /**
   * The session with this id if it is attached here. A session whose client went away is
   * not returned: its client may have resumed on another process since, so a resume always
   * goes through {@link RedisSessionStore.load} (the log in Redis is the one truth).
   */
  get(id: string): ResumeSession | undefined {
    const session = this.#local.get(id);
    if (session !== undefined && this.#states.get(session)?.stale === true) return undefined;
    return session;
  }

  /** @inheritDoc */
  set(session: ResumeSession): void {
    this.#local.set(session);
    if (this.#states.has(session)) return;
    // A session born here: epoch 1 (ids are 128 random bits: no one else has it).
    const state = this.#newState(session.id, 1);
    this.#states.set(session, state);
    void this.#adapter
      .command(['SET', state.epochKey, '1', 'PX', String(this.#ttl)])
      .catch(() => {});
    this.#schedule(session); // a first (empty) chunk: the session exists in the log
  }

  /** @inheritDoc Its keys in Redis are left to expire: the session may live on elsewhere. */
  delete(id: string): boolean {
    const session = this.#local.get(id);
    if (session !== undefined) {
      this.#dirty.delete(session);
      this.#attached.delete(session);
    }
    return this.#local.delete(id);
  }

  /** @inheritDoc */
  get size(): number {
    return this.#local.size;
  }

  /** @inheritDoc */
  values(): IterableIterator<ResumeSession> {
    return this.#local.values();
  }

  /** Stops the refresh timer (sessions' keys then expire on their own). */
  close(): void {
    clearInterval(this.#refreshTimer);
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#flush();
  }

  /** @inheritDoc */
  accept(session: ResumeSession, topic: string, message: SessionMessage): boolean {
    const floors = this.#states.get(session)?.floors;
    const floor = floors?.get(topic);
    if (floors == null || floor === undefined) return true;
    const id = this.#adapter.entryId(message);
    if (typeof id !== 'string') return true; // published here after the load: new
    if (compareIds(id, floor) <= 0) return false; // replayed already
    floors.delete(topic);
    return true;
  }

  /** @inheritDoc */
  delivered(session: ResumeSession, seq: number, topic: string, message: SessionMessage): void {
    this.#log(session, seq, 'm', topic, this.#adapter.entryId(message) ?? null);
  }

  /** @inheritDoc */
  skipped(session: ResumeSession, topic: string, message: SessionMessage): void {
    this.#log(session, session.seq, 'x', topic, this.#adapter.entryId(message) ?? null);
  }

  /** @inheritDoc */
  subscribed(session: ResumeSession, topic: string): void {
    const adapter = this.#adapter;
    const position = adapter.position(topic);
    const id =
      typeof position === 'string'
        ? position
        : adapter.subscribed(topic).then(() => adapter.position(topic) ?? '0-0');
    this.#log(session, session.seq, 's', topic, id);
  }

  /** @inheritDoc */
  unsubscribed(session: ResumeSession, topic: string): void {
    this.#log(session, session.seq, 'u', topic, '');
  }

  /** @inheritDoc */
  attached(session: ResumeSession): void {
    const state = this.#states.get(session);
    if (state === undefined) return;
    state.attached = true;
    this.#attached.add(session);
    this.#touch(state);
  }

  /** @inheritDoc */
  detached(session: ResumeSession): void {
    const state = this.#states.get(session);
    if (state === undefined) return;
    state.attached = false;
    state.stale = true;
    this.#attached.delete(session);
    this.#touch(state);
  }

  /**
   * Loads a session another process held: the log says which stream entries the client has
   * (numbers up to `seq`) and which topics it follows; the entries after those are read from
   * the topics' streams and become the session's buffer, numbered from `seq + 1`. Undefined
   * (the client resynchronises) when the session expired, the log does not reach `seq` or
   * was trimmed before it, a missed message never reached Redis, a stream was trimmed past
   * the client's position, or the replay exceeds `maxReplayBytes`.
   */
  async load(id: string, seq: number): Promise<ResumeSession | undefined> {
    const epochKey = this.#keyPrefix + id;
    const epoch = Number(await this.#adapter.command(['INCR', epochKey]));
    if (epoch === 1) {
      await this.#adapter.command(['DEL', epochKey]);
      return undefined; // no such session
    }
    await this.#adapter.command(['PEXPIRE', epochKey, String(this.#ttl)]);
    const raw = await this.#adapter.command(['XRANGE', `${epochKey}:log:${epoch - 1}`, '-', '+']);
    const at = cursorsAt(parseLog(raw), seq);
    if (at === null) return undefined;
    const replay = await this.#replay(at.cursors, at.skip);
    if (replay === null) return undefined;
    // Synchronous from here to the caller's adoption: no entry can slip between the replay
    // and live delivery (position() was checked in the same turn).
    const session = new ResumeSession(id);
    session.seq = seq;
    const state = this.#newState(id, epoch);
    for (const [topic, cursor] of at.cursors) {
      session.topics.add(topic);
      state.items.push({ seq, kind: 's', topic, id: cursor });
      if (this.#adapter.position(topic) === undefined) {
        this.#adapter.startAt(topic, replay.read.get(topic) ?? cursor);
      }
    }
    for (const entry of replay.messages) {
      const data = entry.message.data;
      session.push({
        seq: ++session.seq,
        data,
        isBinary: entry.message.isBinary,
        compress: entry.message.compress,
        size: data.byteLength + ENTRY_OVERHEAD,
      });
      state.items.push({ seq: session.seq, kind: 'm', topic: entry.topic, id: entry.id });
    }
    state.floors = replay.read;
    this.#states.set(session, state);
    this.#schedule(session);
    return session;
  }

  /** Reads every topic after its cursor until this process's live reading follows on. */
  async #replay(
    cursors: Map<string, string>,
    skip: Set<string>,
  ): Promise<{ messages: StreamMessage[]; read: Map<string, string> } | null> {
    const read = new Map(cursors);
    const messages: StreamMessage[] = [];
    let bytes = 0;
    for (let attempt = 0; attempt < 8; attempt++) {
      for (const [topic, from] of read) {
        let after = from;
        if (attempt === 0 && from === '0-0' && (await this.#trimmedSinceCreated(topic))) {
          return null; // the client saw nothing of it, and some of it is gone
        }
        for (;;) {
          const page = await this.#adapter.readSince(topic, after, 500);
          if (page.gap) return null;
          for (const message of page.messages) {
            after = message.id;
            if (skip.has(message.id)) continue;
            bytes += message.message.data.byteLength + ENTRY_OVERHEAD;
            if (bytes > this.#maxReplayBytes) return null;
            messages.push(message);
          }
          if (page.messages.length < 500) break;
        }
        read.set(topic, after);
      }
      // Live reading must start right after what was read: open topics must not be ahead.
      const waits: Promise<void>[] = [];
      let behind = false;
      for (const [topic, after] of read) {
        const position = this.#adapter.position(topic);
        if (position === null) waits.push(this.#adapter.subscribed(topic));
        else if (position !== undefined && compareIds(position, after) > 0) behind = true;
      }
      if (waits.length === 0 && !behind) {
        messages.sort((a, b) => compareIds(a.id, b.id));
        return { messages, read };
      }
      await Promise.all(waits);
    }
    return null;
  }

  /**
   * Whether entries of `topic`'s stream were ever trimmed (`XINFO STREAM`'s `entries-added`
   * against its `length`, Redis 7 / Valkey): a cursor `0-0` (the stream did not exist when the session subscribed)
   * has no entry of its own to check a gap against.
   */
  async #trimmedSinceCreated(topic: string): Promise<boolean> {
    let info: unknown;
    try {
      info = await this.#adapter.command(['XINFO', 'STREAM', this.#adapter.keyPrefix + topic]);
    } catch {
      return false; // no such stream: nothing was trimmed
    }
    if (!Array.isArray(info)) return false;
    // Trimming does not move max-deleted-entry-id (XDEL does): compare what was ever added
    // with what is left.
    const added = info.indexOf('entries-added');
    const length = info.indexOf('length');
    return added >= 0 && length >= 0 && Number(info[added + 1]) > Number(info[length + 1]);
  }

  #newState(id: string, epoch: number): State {
    const epochKey = this.#keyPrefix + id;
    return {
      epochKey,
      logKey: `${epochKey}:log:${epoch}`,
      chunk: 1,
      items: [],
      cursors: new Map(),
      chunks: [],
      logBytes: 0,
      floors: null,
      attached: false,
      stale: false,
      pendingBytes: 0,
      broken: false,
    };
  }

  #log(
    session: ResumeSession,
    seq: number,
    kind: Kind,
    topic: string,
    id: string | Promise<string | null> | null,
  ): void {
    const state = this.#states.get(session);
    if (state === undefined || state.broken) return;
    state.pendingBytes += topic.length + 48;
    if (state.pendingBytes > this.#maxLogBytes) {
      // Redis has been away (or slow) for longer than the log's bound: forget the session's
      // record there once it is back, so that a resume anywhere resynchronises.
      state.broken = true;
      state.items.length = 0;
      this.#schedule(session);
      return;
    }
    const item: Item = {
      seq,
      kind,
      topic,
      id: typeof id === 'object' && id !== null ? undefined : id,
    };
    if (item.id === undefined) {
      (id as Promise<string | null>).then(
        (value) => {
          item.id = value;
          this.#schedule(session);
        },
        () => {
          item.id = null;
          this.#schedule(session);
        },
      );
    }
    state.items.push(item);
    this.#schedule(session);
  }

  #schedule(session: ResumeSession): void {
    this.#dirty.add(session);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Writes each changed session's resolved items as one chunk. */
  #flush(): void {
    this.#flushScheduled = false;
    if (!this.#adapter.connected) {
      // Log writes wait for Redis in memory (bounded by maxLogBytes per session), not in the
      // client's offline queue; look again shortly.
      if (this.#dirty.size > 0 && this.#retry === null) {
        this.#retry = setTimeout(() => {
          this.#retry = null;
          this.#flush();
        }, 200).unref();
      }
      return;
    }
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const session of dirty) {
      const state = this.#states.get(session);
      if (state === undefined || this.#local.get(session.id) !== session) continue;
      if (state.broken) {
        this.#adapter.command(['DEL', state.epochKey]).catch(() => {});
        continue;
      }
      let n = 0;
      while (n < state.items.length && state.items[n]!.id !== undefined) n++;
      if (n === 0 && state.chunk > 1) continue; // waits for an XADD's answer
      const items = state.items.splice(0, n);
      state.pendingBytes = 0;
      for (const item of state.items) state.pendingBytes += item.topic.length + 48;
      const chunk: Chunk = {
        c: Object.fromEntries(state.cursors),
        i: items.map((item) => [item.seq, item.kind, item.topic, item.id ?? null]),
      };
      for (const item of items) {
        if (item.kind === 'u') state.cursors.delete(item.topic);
        else if ((item.kind === 'm' || item.kind === 's') && typeof item.id === 'string') {
          state.cursors.set(item.topic, item.id);
        }
      }
      const json = JSON.stringify(chunk);
      const no = state.chunk++;
      const adapter = this.#adapter;
      const fail = (): void => {};
      adapter.command(['XADD', state.logKey, `${no}-1`, 'd', json]).catch(fail);
      state.chunks.push({ no, bytes: json.length + 32 });
      state.logBytes += json.length + 32;
      // Over the bound: trim to three quarters of it (one XTRIM per quarter of the bound).
      let trimmed = false;
      if (state.logBytes > this.#maxLogBytes) {
        while (state.logBytes > (this.#maxLogBytes * 3) / 4 && state.chunks.length > 1) {
          state.logBytes -= state.chunks.shift()!.bytes;
          trimmed = true;
        }
      }
      if (trimmed) {
        adapter.command(['XTRIM', state.logKey, 'MINID', `${state.chunks[0]!.no}-0`]).catch(fail);
      }
      this.#touch(state);
    }
  }

  #touch(state: State): void {
    if (!this.#adapter.connected) return; // the refresh timer touches again once it is back
    const ttl = String(this.#ttl);
    this.#adapter.command(['PEXPIRE', state.epochKey, ttl]).catch(() => {});
    this.#adapter.command(['PEXPIRE', state.logKey, ttl]).catch(() => {});
  }

  #refresh(): void {
    for (const session of this.#attached) {
      const state = this.#states.get(session);
      if (state !== undefined) this.#touch(state);
    }
  }
}

/** The log's chunks, in order (malformed ones skipped). */
function parseLog(reply: unknown): Chunk[] {
  const chunks: Chunk[] = [];
  if (!Array.isArray(reply)) return chunks;
  for (const entry of reply) {
    const fields = Array.isArray(entry) ? entry[1] : undefined;
    if (!Array.isArray(fields) || fields[0] !== 'd') continue;
    try {
      const chunk = JSON.parse(String(fields[1])) as Chunk;
      if (typeof chunk.c === 'object' && Array.isArray(chunk.i)) chunks.push(chunk);
    } catch {
      // not ours
    }
  }
  return chunks;
}

/**
 * Where each topic of the session stood when the client had every number up to `seq`, the
 * entries to leave out of a replay (its own sends, excluded), or null when the log cannot
 * tell (it starts after `seq`, ends before it, or a missed message is not in Redis).
 */
function cursorsAt(
  chunks: Chunk[],
  seq: number,
): { cursors: Map<string, string>; skip: Set<string> } | null {
  const first = chunks[0];
  if (first === undefined) return null;
  const cursors = new Map(Object.entries(first.c));
  const skip = new Set<string>();
  const head = first.i[0];
  if (head !== undefined && (head[1] === 'm' ? head[0] - 1 : head[0]) > seq) return null;
  let top = head === undefined ? 0 : head[0];
  for (const chunk of chunks) {
    for (const [itemSeq, kind, topic, id] of chunk.i) {
      top = Math.max(top, itemSeq);
      if (kind === 'm') {
        if (itemSeq <= seq) {
          if (id !== null) cursors.set(topic, id);
        } else if (id === null) {
          return null; // the client missed a message that never reached Redis
        }
      } else if (kind === 's') {
        if (id !== null && (itemSeq <= seq || !cursors.has(topic))) cursors.set(topic, id);
      } else if (kind === 'u') {
        cursors.delete(topic);
      } else if (id !== null) {
        skip.add(id);
      }
    }
  }
  if (top < seq) return null; // the client has numbers the log never recorded
  return { cursors, skip };
}
