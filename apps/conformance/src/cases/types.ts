/**
 * The shape of a conformance case: what the fuzzer sends (steps), and what it expects back.
 * Cases are data; `src/runner.ts` plays them in either direction (fuzzer as client against a
 * server under test, or as server against a client under test) and `src/verdict.ts` judges
 * the observation.
 */
import type { FrameSpec } from '../frames.js';

/** A message (or pong) the peer is expected to send back. */
export interface Msg {
  type: 'text' | 'binary' | 'pong';
  data: Buffer;
}

/** One step of a case script. */
export type Step =
  /** Write these frames; `chunk` splits the bytes into writes of that size (a turn apart). */
  | { frames: FrameSpec[]; chunk?: number }
  /**
   * Write a whole message: compressed when permessage-deflate was agreed (unless
   * `compress: false`), cut into frames of `fragment` payload bytes, written in `chunk`-byte
   * writes.
   */
  | {
      message: { type: 'text' | 'binary'; data: Buffer };
      fragment?: number;
      compress?: boolean;
      chunk?: number;
    }
  /**
   * Write one frame in pieces cut at these payload offsets, waiting `wait` ms after each piece
   * but the last; after piece n the mark A, B, C... records whether the peer has failed yet.
   */
  | { split: FrameSpec; at: number[]; wait: number }
  /** Write these bytes as they are. */
  | { raw: Buffer }
  /** Wait; with `mark`, remember whether the peer had failed the connection by then. */
  | { wait: number; mark?: string };

/** What the peer must do. */
export type Expect =
  | {
      /** Echoes (and pongs) expected in order; then the closing handshake. */
      echo: Msg[];
      /**
       * Close codes accepted in the peer's reply to the fuzzer's close (1005 = an empty close
       * payload). Default [1000].
       */
      reply?: number[];
      /** The steps already sent a close frame: do not send another one. */
      closed?: boolean;
      /** The fuzzer's own close frame, when it is not 1000. */
      closeWith?: { code?: number; reason?: string };
    }
  | {
      /** The peer must fail the connection with one of these close codes. */
      fail: number[];
      /** Valid messages sent before the violation, which the peer should still echo. */
      before?: Msg[];
      /** Fail-fast: the failure must be seen at this mark (later is NON-STRICT). */
      fastBy?: string;
      /** Close codes tolerated instead (NON-STRICT). */
      tolerate?: number[];
      /** Echoing instead of failing is tolerated (NON-STRICT): these messages. */
      lenient?: Msg[];
    };

/** permessage-deflate parameters the fuzzer offers (client) or answers (server). */
export interface DeflateParams {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
}

/** One conformance case. */
export interface Case {
  /** Dotted id, e.g. `6.4.3`. */
  id: string;
  /** Case group, e.g. `6 UTF-8`. */
  group: string;
  title: string;
  steps: Step[];
  expect: Expect;
  /** Negotiate permessage-deflate with these parameters (groups 12, 13). */
  deflate?: DeflateParams;
  /** Only in this direction, named by the fuzzer's role. */
  fuzzer?: 'client' | 'server';
  /** How long to wait for the peer's reaction (ms); default 2000. */
  timeout?: number;
}

/** A case's verdict. */
export type Result = 'PASS' | 'NON-STRICT' | 'FAIL' | 'UNSUPPORTED';

/** One case's outcome against one implementation and direction. */
export interface Outcome {
  id: string;
  group: string;
  title: string;
  result: Result;
  /** Why it is not a PASS (or a note on a PASS). */
  reason: string;
  /** Client direction: the WebSocket events the client reported (evidence). */
  events?: string[];
  /** A finding for the report's behaviour notes (with its figures). */
  note?: string;
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Bytes from hex. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** An expected text echo. */
export function text(data: string | Buffer): Msg {
  return { type: 'text', data: typeof data === 'string' ? utf8(data) : data };
}

/** An expected binary echo. */
export function binary(data: Buffer): Msg {
  return { type: 'binary', data };
}

/** An expected pong. */
export function pong(data: string | Buffer = ''): Msg {
  return { type: 'pong', data: typeof data === 'string' ? utf8(data) : data };
}

/** Deterministic pseudo-random bytes (incompressible payloads). */
export function noise(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Deterministic compressible UTF-8 text of exactly `length` bytes (ASCII and 2-byte chars). */
export function prose(length: number): Buffer {
  const unit = utf8('Strata conformance — κόσμε, permessage-deflate; ');
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += unit.length)
    unit.copy(out, i, 0, Math.min(unit.length, length - i));
  // Never end inside a multi-byte character: pad the tail with ASCII.
  let end = length;
  while (end > 0 && ((out[end - 1] as number) & 0xc0) === 0x80) end--;
  if (end > 0 && (out[end - 1] as number) >= 0xc0) end--;
  out.fill(0x2e, end);
  return out;
}
