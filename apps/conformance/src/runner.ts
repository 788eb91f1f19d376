/**
 * Plays one case over an open WebSocket transport (a TCP socket after the handshake, or an
 * HTTP/2 stream) in either role, and records what the peer did: echoed messages and pongs, its
 * close frame, when the transport ended, rule violations in its frames, and the fail-fast marks.
 */
import type { Duplex } from 'node:stream';
import type { Case, Msg, Step } from './cases/types.js';
import type { FuzzDeflate } from './deflate.js';
import {
  closePayload,
  encodeFrame,
  FrameReader,
  type FrameSpec,
  Op,
  type ReadFrame,
} from './frames.js';

/** What the peer did during one case. */
export interface Observation {
  messages: Msg[];
  /** The peer's close frame: code (1005 when empty) and reason. */
  close?: { code: number; reason: string; afterOurs: boolean };
  /** The transport ended (FIN, reset or destroyed). */
  ended: boolean;
  /** The peer closed TCP first after the closing handshake (expected of a server). */
  peerEndedFirst: boolean;
  /** Broken rules in the peer's frames. */
  violations: string[];
  marks: Record<string, boolean>;
  /** A case expecting a failure ended with the fuzzer's own close: the peer never failed. */
  gaveUp?: boolean;
}

/** Counts across cases (the soak prints them): pongs held back until a cut write ended. */
export const harnessStats = { deferredPongs: 0 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const fatal = new TextDecoder('utf-8', { fatal: true });

/** Cuts a message into frames of `size` payload bytes (one frame when `size` is absent). */
function messageFrames(
  op: number,
  payload: Buffer,
  size: number | undefined,
  rsv: number,
): FrameSpec[] {
  if (!size || payload.length <= size) return [{ op, payload, rsv }];
  const frames: FrameSpec[] = [];
  for (let i = 0; i < payload.length; i += size) {
    frames.push({
      op: i === 0 ? op : Op.cont,
      payload: payload.subarray(i, i + size),
      fin: i + size >= payload.length,
      rsv: i === 0 ? rsv : 0,
    });
  }
  return frames;
}

/**
 * Plays `c` on `io` (already past the handshake; `head` = bytes that followed it) as
 * `role`. Resolves when the case is over; `io` is destroyed by then.
 */
export async function playCase(
  io: Duplex,
  head: Buffer,
  role: 'client' | 'server',
  c: Case,
  deflate: FuzzDeflate | null,
): Promise<Observation> {
  const obs: Observation = {
    messages: [],
    ended: false,
    peerEndedFirst: false,
    violations: [],
    marks: {},
  };
  const masked = role === 'client';
  const reader = new FrameReader();
  let closeSent = false;
  let weEnded = false;
  let message: { op: number; parts: Buffer[]; compressed: boolean } | null = null;
  let chain = Promise.resolve();
  let wake: (() => void) | null = null;
  const changed = () => {
    wake?.();
    wake = null;
  };
  const until = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await Promise.race([
        new Promise<void>((resolve) => {
          wake = resolve;
        }),
        sleep(Math.min(50, deadline - Date.now())),
      ]);
    }
  };
  const failed = () => obs.close !== undefined || obs.ended;
  // Pongs owed while a frame is only partly written (a step cut into several writes): a
  // control frame may come between fragments, never inside a frame (RFC 6455 §5.4), so they
  // wait for the step's last write. (Answering at once put a heartbeat's pong into the middle
  // of a 4 MiB message's frame: the "intermittent false 1007" of 9.3.x.)
  let cutWrite = false;
  const owedPongs: Buffer[] = [];
  const endCutWrite = () => {
    cutWrite = false;
    for (const pong of owedPongs.splice(0))
      if (!closeSent && !obs.ended && !io.destroyed) io.write(pong);
  };
  const write = async (bytes: Buffer) => {
    if (obs.ended || io.destroyed) return;
    if (!io.write(bytes))
      await Promise.race([
        new Promise((resolve) => io.once('drain', resolve)),
        until(() => obs.ended, 60_000),
      ]);
  };
  const sendClose = (code?: number, reason = '') => {
    if (closeSent || obs.ended || io.destroyed) return;
    closeSent = true;
    io.write(encodeFrame({ op: Op.close, payload: closePayload(code, reason) }, masked));
  };
  const endTransport = () => {
    if (weEnded) return;
    weEnded = true;
    io.end();
  };

  const onFrame = (frame: ReadFrame) => {
    if (obs.close) {
      obs.violations.push(`frame (opcode ${frame.op}) after its close frame`);
      return;
    }
    if (frame.masked !== (role === 'server'))
      obs.violations.push(role === 'server' ? 'client frame not masked' : 'server frame masked');
    const control = frame.op >= 8;
    const allowedRsv = !control && frame.op !== Op.cont && deflate ? 0x40 : 0;
    if (frame.rsv & ~allowedRsv)
      obs.violations.push(`RSV bits 0x${frame.rsv.toString(16)} on opcode ${frame.op}`);
    if (control) {
      if (!frame.fin || frame.payload.length > 125) obs.violations.push('bad control frame');
      if (frame.op === Op.ping) {
        const pong = encodeFrame({ op: Op.pong, payload: frame.payload }, masked);
        if (cutWrite) {
          owedPongs.push(pong);
          harnessStats.deferredPongs++;
        } else if (!closeSent) io.write(pong);
      } else if (frame.op === Op.pong) {
        const data = frame.payload;
        chain = chain.then(() => {
          obs.messages.push({ type: 'pong', data });
          changed();
        });
      } else if (frame.op === Op.close) {
        const p = frame.payload;
        const code = p.length >= 2 ? p.readUInt16BE(0) : 1005;
        let reason = '';
        try {
          reason = fatal.decode(p.subarray(2));
        } catch {
          obs.violations.push('close reason not UTF-8');
        }
        if (p.length === 1) obs.violations.push('close payload of 1 byte');
        const afterOurs = closeSent;
        chain = chain.then(() => {
          obs.close = { code, reason, afterOurs };
          changed();
        });
        if (!closeSent)
          sendClose(
            code === 1005
              ? undefined
              : code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 && code !== 1015
                ? code
                : 1002,
          );
        if (role === 'server') endTransport();
      } else obs.violations.push(`opcode ${frame.op} from the peer`);
      return;
    }
    if (frame.op === Op.cont) {
      if (!message) {
        obs.violations.push('continuation without a message');
        return;
      }
      message.parts.push(frame.payload);
    } else {
      if (message) obs.violations.push('new message inside a fragmented one');
      if (frame.op !== Op.text && frame.op !== Op.binary) {
        obs.violations.push(`opcode ${frame.op} from the peer`);
        return;
      }
      message = { op: frame.op, parts: [frame.payload], compressed: (frame.rsv & 0x40) !== 0 };
    }
    if (!frame.fin) return;
    const done = message;
    message = null;
    chain = chain.then(async () => {
      let data: Buffer = Buffer.concat(done.parts);
      if (done.compressed && deflate) {
        try {
          data = await deflate.decompress(data);
        } catch (error) {
          obs.violations.push(
            `compressed message does not inflate with the agreed parameters: ${(error as Error).message}`,
          );
          return;
        }
      }
      if (done.op === Op.text) {
        try {
          fatal.decode(data);
        } catch {
          obs.violations.push('text message not UTF-8');
        }
      }
      obs.messages.push({ type: done.op === Op.text ? 'text' : 'binary', data });
      changed();
    });
  };

  io.on('data', (chunk: Buffer) => {
    try {
      for (const frame of reader.push(chunk)) onFrame(frame);
    } catch (error) {
      obs.violations.push(`unreadable frame: ${(error as Error).message}`);
    }
  });
  io.on('error', () => {});
  const onEnd = () => {
    if (!obs.ended && !weEnded) obs.peerEndedFirst = true;
    if (!weEnded && obs.close) endTransport();
    chain = chain.then(() => {
      obs.ended = true;
      changed();
    });
  };
  io.once('end', onEnd);
  io.once('close', onEnd);
  if (head.length > 0) io.emit('data', head);

  const mark = (name?: string) => {
    if (name) obs.marks[name] = failed();
  };
  const markNames = 'ABCDEFGH';
  for (const step of c.steps) {
    if (failed()) break;
    await playStep(step);
  }

  async function playStep(step: Step): Promise<void> {
    if ('split' in step) {
      const bytes = encodeFrame(step.split, masked);
      const headerLength = bytes.length - Buffer.byteLength(step.split.payload ?? '');
      const cuts = [0, ...step.at.map((n) => headerLength + n), bytes.length];
      cutWrite = true;
      for (let i = 0; i + 1 < cuts.length; i++) {
        await write(bytes.subarray(cuts[i], cuts[i + 1]));
        if (i + 2 < cuts.length) {
          await sleep(step.wait);
          await chain;
          mark(markNames[i]);
        }
      }
      endCutWrite();
    } else if ('wait' in step) {
      await sleep(step.wait);
      await chain;
      mark(step.mark);
    } else if ('raw' in step) await write(step.raw);
    else {
      let frames: FrameSpec[];
      if ('message' in step) {
        const { type, data } = step.message;
        const compress = deflate !== null && step.compress !== false;
        const payload = compress ? await deflate.compress(data) : data;
        frames = messageFrames(
          type === 'text' ? Op.text : Op.binary,
          payload,
          step.fragment,
          compress ? 0x40 : 0,
        );
      } else frames = step.frames;
      const bytes = Buffer.concat(frames.map((f) => encodeFrame(f, masked)));
      if (frames.some((f) => f.op === Op.close)) closeSent = true;
      if (!step.chunk) await write(bytes);
      else {
        cutWrite = true;
        for (let i = 0; i < bytes.length && !obs.ended; i += step.chunk) {
          await write(bytes.subarray(i, i + step.chunk));
          await turn();
        }
        endCutWrite();
      }
    }
  }

  const timeout = c.timeout ?? 2000;
  const expect = c.expect;
  if ('echo' in expect) {
    await until(() => failed() || obs.messages.length >= expect.echo.length, timeout);
    if (!expect.closed && !failed())
      sendClose(expect.closeWith?.code ?? 1000, expect.closeWith?.reason ?? '');
    await until(() => obs.close !== undefined || obs.ended, 2000);
  } else {
    await until(failed, timeout);
    // It did not fail the connection: end the case with a normal close, without waiting long.
    if (!failed()) {
      obs.gaveUp = true;
      sendClose(1000);
    }
    await until(() => obs.close !== undefined || obs.ended, 500);
  }
  // A client waits for the server to close TCP; a server closes it itself once the close frames crossed.
  if (role === 'server' && obs.close) endTransport();
  await until(() => obs.ended, 1000);
  await chain;
  io.destroy();
  deflate?.close();
  return obs;
}
