/**
 * The messages between a node:cluster worker's {@link ClusterAdapter} and the primary's
 * {@link ClusterRelay}, and how payload bytes ride on each IPC serialization: as a
 * `Uint8Array` with `'advanced'` serialization (structured clone, the bytes copied as they
 * are), as base64 text with `'json'` (Node's default, whose JSON would turn bytes into an
 * object with one key per byte).
 * @internal
 */

/** The key that marks this package's IPC messages among the application's own. */
export const IPC_KEY = 'strataBus';

/** Envelope bytes as they travel on the IPC channel. */
export type IpcData = Uint8Array | string;

/** worker -> primary: this worker's first local subscriber joined `topic`. */
export interface IpcSubscribe {
  readonly strataBus: 'sub';
  readonly topic: string;
}
/** worker -> primary: this worker's last local subscriber left `topic`. */
export interface IpcUnsubscribe {
  readonly strataBus: 'unsub';
  readonly topic: string;
}
/** both ways: a published message (an envelope) on `topic`. */
export interface IpcMessage {
  readonly strataBus: 'msg';
  readonly topic: string;
  readonly data: IpcData;
}
/**
 * both ways: several messages published in one tick, in one IPC message (one write, one
 * (de)serialization instead of one per message). `data` is the envelopes, each preceded by
 * its length (uint32 little-endian); `topics[i]` is the topic of the i-th (the primary routes
 * without decoding). `topic` is unused ('').
 */
export interface IpcBatch {
  readonly strataBus: 'batch';
  readonly topic: string;
  readonly topics: readonly string[];
  readonly data: IpcData;
}
/** primary -> worker: the primary relays `topic` to this worker from now on. */
export interface IpcSubscribed {
  readonly strataBus: 'subscribed';
  readonly topic: string;
}

/** worker -> primary: this worker's direct-link address (it listens there). */
export interface IpcHello {
  readonly strataBus: 'hello';
  readonly topic: '';
  readonly address: string;
  readonly nodeId: string;
}
/** primary -> worker, the reply to its hello: the workers that said hello before it. */
export interface IpcPeers {
  readonly strataBus: 'peers';
  readonly topic: '';
  readonly peers: readonly { readonly address: string; readonly nodeId: string }[];
}

/** Any message of this package on the IPC channel. */
export type IpcBusMessage =
  | IpcSubscribe
  | IpcUnsubscribe
  | IpcMessage
  | IpcBatch
  | IpcSubscribed
  | IpcHello
  | IpcPeers;

/** Whether an IPC message is one of this package's. */
export function isBusMessage(value: unknown): value is IpcBusMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { strataBus?: unknown }).strataBus === 'string' &&
    typeof (value as { topic?: unknown }).topic === 'string' &&
    ((value as { strataBus?: unknown }).strataBus !== 'batch' ||
      Array.isArray((value as { topics?: unknown }).topics)) &&
    ((value as { strataBus?: unknown }).strataBus !== 'peers' ||
      Array.isArray((value as { peers?: unknown }).peers)) &&
    ((value as { strataBus?: unknown }).strataBus !== 'hello' ||
      typeof (value as { address?: unknown }).address === 'string')
  );
}

/** Whether this process's IPC channel uses `'advanced'` serialization. */
export function advancedSerialization(): boolean {
  return process.env.NODE_CHANNEL_SERIALIZATION_MODE === 'advanced';
}

/** Bytes -> IPC form. */
export function toIpcData(bytes: Uint8Array, advanced: boolean): IpcData {
  return advanced
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** IPC form -> bytes (null for anything else). */
export function fromIpcData(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  return null;
}

/** Size of the IPC form, for the byte bounds of the queues. */
export function ipcDataLength(data: IpcData): number {
  return typeof data === 'string' ? data.length : data.byteLength;
}

/** Packs envelopes into one batch buffer: each preceded by its uint32 LE length. */
export function packBatch(envelopes: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of envelopes) total += 4 + e.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const e of envelopes) {
    view.setUint32(offset, e.length, true);
    out.set(e, offset + 4);
    offset += 4 + e.length;
  }
  return out;
}

/** The envelopes of a batch buffer (views, not copies); null when the framing is broken. */
export function unpackBatch(data: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset < data.length) {
    if (offset + 4 > data.length) return null;
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > data.length) return null;
    out.push(data.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}
