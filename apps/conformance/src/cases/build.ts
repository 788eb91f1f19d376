/**
 * The vocabulary the protocol case groups are written in: frame builders (text, binary,
 * continuation, ping, close), steps (send, chopped), expectations (echo, fail), and a message
 * cut into fragments. Shared by `framing.ts`, `fragmentation.ts`, `utf8.ts`, `close.ts` and
 * `limits.ts`.
 */
import { closePayload, type FrameSpec, Op } from '../frames.js';
import type { Expect, Msg, Step } from './types.js';

/** 1024 bytes. */
export const KiB = 1024;
/** 1024 KiB. */
export const MiB: number = 1024 * 1024;

/** A step writing these frames. */
export const send = (...frames: FrameSpec[]): Step => ({ frames });
/** A step writing these frames in writes of `chunk` bytes. */
export const chopped = (chunk: number, ...frames: FrameSpec[]): Step => ({ frames, chunk });
/** A text frame. */
export const T = (payload: Buffer | string, extra: Partial<FrameSpec> = {}): FrameSpec => ({
  op: Op.text,
  payload,
  ...extra,
});
/** A binary frame. */
export const B = (payload: Buffer | string, extra: Partial<FrameSpec> = {}): FrameSpec => ({
  op: Op.binary,
  payload,
  ...extra,
});
/** A continuation frame (final unless `fin` is false). */
export const cont = (payload: Buffer | string, fin = true): FrameSpec => ({
  op: Op.cont,
  payload,
  fin,
});
/** A ping frame. */
export const ping = (payload: Buffer | string = '', extra: Partial<FrameSpec> = {}): FrameSpec => ({
  op: Op.ping,
  payload,
  ...extra,
});
/** A close frame with this code and reason. */
export const close = (code?: number, reason = ''): FrameSpec => ({
  op: Op.close,
  payload: closePayload(code, reason),
});
/** Expect these echoes (and pongs), then a closing handshake. */
export const echo = (...messages: Msg[]): Expect => ({ echo: messages });
/** Expect the peer to fail the connection with one of `codes` (after echoing `before`). */
export const fail = (codes: number[], before: Msg[] = []): Expect => ({ fail: codes, before });

/** A message sent as frames of `size` payload bytes (first frame text/binary, then continuations). */
export function fragments(type: 'text' | 'binary', data: Buffer, size: number): FrameSpec[] {
  const frames: FrameSpec[] = [];
  for (let i = 0; i < data.length || i === 0; i += size) {
    frames.push({
      op: i === 0 ? (type === 'text' ? Op.text : Op.binary) : Op.cont,
      payload: data.subarray(i, i + size),
      fin: i + size >= data.length,
    });
  }
  return frames;
}
