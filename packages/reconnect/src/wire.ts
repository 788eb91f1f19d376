/**
 * The resume protocol's wire format, in one place for both ends (portable: no `node:*`).
 *
 * Handshake: the client asks for a resumable session with the query parameter
 * `strata-resume=new`, or resumes one with `strata-resume=<session id>.<last number seen>`.
 * (Browsers cannot set request headers on a WebSocket, `Sec-WebSocket-Protocol` is the
 * application's slot, and `Sec-WebSocket-Extensions` is written by the browser itself: the URL
 * is the only part of the opening handshake every client can set.)
 *
 * Framing, on resumable connections only: every server-to-client message starts with an ASCII
 * header that ends at the first `:`:
 * - `s:` + JSON (text): the session notice, always the first message ({@link SessionNotice});
 * - `m<n>:` + payload: a topic message numbered `n` (1, 2, 3 ... per session), text or binary
 *   as published;
 * - `d:` + payload: a direct (unnumbered) message, not replayed after a reconnect.
 * Client-to-server messages are never wrapped.
 */

/** The query parameter that carries the resume request. */
export const RESUME_PARAM = 'strata-resume';

/** The parameter value that asks for a new resumable session. */
export const RESUME_NEW = 'new';

/** The version of the session notice (`v` field). */
export const RESUME_VERSION = 1;

/** The largest message number (numbers are exact integers in every runtime). */
export const MAX_SEQ: number = Number.MAX_SAFE_INTEGER;

/** Session ids: 16 to 64 base64url characters (the server makes 22 from 16 random bytes). */
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;
/** A message number: a decimal integer without leading zeros. */
const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/** The first message on a resumable connection (`s:` + this object as JSON). */
export interface SessionNotice {
  /** Protocol version, {@link RESUME_VERSION}. */
  readonly v: number;
  /** The session id to present on the next connection. */
  readonly id: string;
  /** true: the requested session was resumed, the missed messages follow at once. */
  readonly resumed: boolean;
  /**
   * true: the client asked to resume but the session is gone (expired, evicted, or messages
   * it missed were dropped): what it missed is lost and it must resynchronise its state.
   * A new session (this `id`) starts.
   */
  readonly resync: boolean;
  /** The number of the last message before the ones that follow (0 for a new session). */
  readonly seq: number;
}

/** A parsed `strata-resume` value. */
export type ResumeRequest =
  | { readonly kind: 'new' }
  | { readonly kind: 'resume'; readonly id: string; readonly seq: number };

/** The `strata-resume` value that resumes `id` after message `seq`. */
export function formatResumeRequest(id: string, seq: number): string {
  return `${id}.${seq}`;
}

/** Parses a `strata-resume` value; `null` when absent or malformed (a plain connection). */
export function parseResumeRequest(value: string | null | undefined): ResumeRequest | null {
  if (value === null || value === undefined) return null;
  if (value === RESUME_NEW) return { kind: 'new' };
  const dot = value.indexOf('.');
  if (dot < 0) return null;
  const id = value.slice(0, dot);
  const seqText = value.slice(dot + 1);
  if (!SESSION_ID.test(id) || !SEQ.test(seqText)) return null;
  const seq = Number(seqText);
  if (seq > MAX_SEQ) return null;
  return { kind: 'resume', id, seq };
}

/** Whether `id` has the shape of a session id. */
export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID.test(id);
}

/** The header of a numbered topic message. */
export function numberedHeader(seq: number): string {
  return `m${seq}:`;
}

/** The header of a direct message. */
export const DIRECT_HEADER = 'd:';

/** The header of the session notice. */
export const NOTICE_HEADER = 's:';

/** Serialises the session notice message (text). */
export function formatNotice(notice: SessionNotice): string {
  return NOTICE_HEADER + JSON.stringify(notice);
}

/** What an envelope header says. */
export interface EnvelopeHeader {
  /** `s` notice, `m` numbered, `d` direct. */
  readonly kind: 's' | 'm' | 'd';
  /** The message number (`m` only; 0 otherwise). */
  readonly seq: number;
  /** Where the payload starts (characters for text, bytes for binary: the header is ASCII). */
  readonly offset: number;
}

/** The longest header: `m` + 16 digits + `:`. */
const MAX_HEADER = 18;
const COLON = 0x3a;

function decodeHeader(kind: number, digits: string, end: number): EnvelopeHeader | null {
  if (kind === 0x73 /* s */ || kind === 0x64 /* d */) {
    if (digits !== '') return null;
    return { kind: kind === 0x73 ? 's' : 'd', seq: 0, offset: end + 1 };
  }
  if (kind !== 0x6d /* m */ || !SEQ.test(digits)) return null;
  const seq = Number(digits);
  if (seq < 1 || seq > MAX_SEQ) return null;
  return { kind: 'm', seq, offset: end + 1 };
}

/** Reads the envelope header of a text message; `null` if it has none. */
export function parseTextEnvelope(text: string): EnvelopeHeader | null {
  const end = text.indexOf(':');
  if (end < 1 || end > MAX_HEADER - 1) return null;
  return decodeHeader(text.charCodeAt(0), text.slice(1, end), end);
}

/** Reads the envelope header of a binary message; `null` if it has none. */
export function parseBinaryEnvelope(bytes: Uint8Array): EnvelopeHeader | null {
  const limit = Math.min(bytes.length, MAX_HEADER);
  let end = -1;
  for (let i = 0; i < limit; i++) {
    if (bytes[i] === COLON) {
      end = i;
      break;
    }
  }
  if (end < 1) return null;
  let digits = '';
  for (let i = 1; i < end; i++) digits += String.fromCharCode(bytes[i]!);
  return decodeHeader(bytes[0]!, digits, end);
}

/** Parses a session notice's JSON; `null` when it is not one. */
export function parseNotice(json: string): SessionNotice | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (
    v.v !== RESUME_VERSION ||
    !isSessionId(v.id) ||
    typeof v.resumed !== 'boolean' ||
    typeof v.resync !== 'boolean' ||
    typeof v.seq !== 'number' ||
    !Number.isSafeInteger(v.seq) ||
    v.seq < 0
  ) {
    return null;
  }
  return { v: v.v, id: v.id, resumed: v.resumed, resync: v.resync, seq: v.seq };
}
