/**
 * The Streams side of {@link RedisAdapter}'s at-least-once mode: one Redis Stream per topic,
 * read with XREAD from the last id this process read, on a connection of its own (XREAD
 * BLOCK holds it). After a reconnect the loop goes on from the same ids, so entries added
 * while it was away are read then, as long as `XADD MAXLEN ~` has not trimmed them.
 * `readSince` replays a topic from any id (e.g. the last one a resuming client saw).
 * @internal
 */
import type {
  RedisClientType,
  RedisFunctions,
  RedisModules,
  RedisScripts,
  TypeMapping,
} from '@redis/client';
import { RESP_TYPES } from '@redis/client';

/** Replies as Buffers (payloads are bytes). */
export const BUFFERS: { readonly typeMapping: TypeMapping } = {
  typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer },
};

/** One stream entry: its id and the envelope bytes. */
export interface RawEntry {
  readonly id: string;
  readonly bytes: Buffer;
}

/** Reads a RESP2 XRANGE / one stream of XREAD: `[[id, [field, value, ...]], ...]`. */
export function parseEntries(reply: unknown): RawEntry[] {
  const out: RawEntry[] = [];
  if (!Array.isArray(reply)) return out;
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 2) continue;
    const fields = entry[1];
    if (!Array.isArray(fields)) continue;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (String(fields[i]) === 'm' && Buffer.isBuffer(fields[i + 1])) {
        out.push({ id: String(entry[0]), bytes: fields[i + 1] as Buffer });
        break;
      }
    }
  }
  return out;
}

/** Compares two stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** Where the reader hands entries. */
export interface StreamSink {
  entries(key: string, entries: RawEntry[]): void;
  /** The reader's XREAD failed (connection lost): it waits for the connection. */
  readFailed(error: Error): void;
}

/** The adapter's clients: RESP2, default type mapping. */
export type Client = RedisClientType<RedisModules, RedisFunctions, RedisScripts, 2, TypeMapping>;

/** The XREAD loop over the streams of the open topics. */
export class StreamReader {
  readonly #reader: Client;
  readonly #control: Client;
  readonly #sink: StreamSink;
  readonly #count: string;
  readonly #block: string;
  /** Stream key -> last id read (only open topics). */
  readonly #lastIds = new Map<string, string>();
  #readerId: number | null = null;
  #blocked = false;
  #running = false;
  #stopped = false;
  #wake: (() => void) | null = null;

  constructor(reader: Client, control: Client, sink: StreamSink, count: number, blockMs: number) {
    this.#reader = reader;
    this.#control = control;
    this.#sink = sink;
    this.#count = String(count);
    this.#block = String(blockMs);
    reader.on('ready', () => {
      this.#readerId = null;
      this.#poke();
    });
  }

  /** The last id read of a stream key (undefined when not read). */
  lastId(key: string): string | undefined {
    return this.#lastIds.get(key);
  }

  /** Starts reading `key` after `id`; interrupts a blocked XREAD so it takes effect now. */
  add(key: string, id: string): void {
    this.#lastIds.set(key, id);
    this.#interrupt();
  }

  /** Stops reading `key`. */
  remove(key: string): void {
    this.#lastIds.delete(key);
  }

  /** Runs the loop until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#loop();
  }

  /** Ends the loop (the clients are closed by the adapter). */
  stop(): void {
    this.#stopped = true;
    this.#poke();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      if (this.#lastIds.size === 0 || !this.#reader.isReady) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = null;
        continue;
      }
      try {
        if (this.#readerId === null) {
          this.#readerId = Number(await this.#reader.sendCommand(['CLIENT', 'ID']));
        }
        const keys = [...this.#lastIds.keys()];
        const ids = keys.map((key) => this.#lastIds.get(key) as string);
        this.#blocked = true;
        const reply = await this.#reader.sendCommand(
          ['XREAD', 'COUNT', this.#count, 'BLOCK', this.#block, 'STREAMS', ...keys, ...ids],
          BUFFERS,
        );
        this.#blocked = false;
        if (!Array.isArray(reply)) continue;
        for (const stream of reply) {
          if (!Array.isArray(stream) || stream.length < 2) continue;
          const key = String(stream[0]);
          if (!this.#lastIds.has(key)) continue;
          const entries = parseEntries(stream[1]);
          const last = entries.at(-1);
          if (last === undefined) continue;
          this.#lastIds.set(key, last.id);
          this.#sink.entries(key, entries);
        }
      } catch (error) {
        this.#blocked = false;
        if (this.#stopped) break;
        this.#sink.readFailed(error as Error);
        if (this.#reader.isReady) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  #poke(): void {
    this.#wake?.();
  }

  #interrupt(): void {
    this.#poke();
    if (this.#blocked && this.#readerId !== null && this.#control.isReady) {
      this.#control.sendCommand(['CLIENT', 'UNBLOCK', String(this.#readerId)]).catch(() => {});
    }
  }
}
