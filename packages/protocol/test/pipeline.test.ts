/**
 * The extension pipeline on its own (src/pipeline.ts), through a recording subclass of its
 * hooks: decode order behind an asynchronous decode, held-input accounting (payload plus the
 * per-frame record), encode order with the close frame and prepared frames behind it, errors.
 */
import { ProtocolError } from '@strata-ws/codec';
import type { MessageExtension, TransformCallback } from '@strata-ws/protocol';
import { describe, expect, it } from 'vitest';
import { HELD_FRAME_OVERHEAD } from '../src/limits.js';
import { ExtensionPipeline, PREPARED_FRAMES } from '../src/pipeline.js';
import { PreparedMessage } from '../src/prepared.js';

/** An extension whose transforms wait in `pending` until `flush()` (upper-cases ASCII). */
class ManualUpper implements MessageExtension {
  readonly name = 'x-upper';
  readonly rsvBit = 0x40 as const;
  pending: (() => void)[] = [];
  disposed = 0;
  shouldEncode(size: number): boolean {
    return size > 2;
  }
  encode(data: Uint8Array, callback: TransformCallback): void {
    this.pending.push(() =>
      callback(
        null,
        data.map((b) => (b >= 97 && b <= 122 ? b - 32 : b)),
      ),
    );
  }
  decode(data: Uint8Array, _fin: boolean, maxSize: number, callback: TransformCallback): void {
    this.pending.push(() =>
      data.length > maxSize
        ? callback(new ProtocolError(1009, 'too big'))
        : callback(
            null,
            data.map((b) => (b >= 97 && b <= 122 ? b - 32 : b)),
          ),
    );
  }
  dispose(): void {
    this.disposed++;
  }
  flush(): void {
    while (this.pending.length > 0) this.pending.shift()!();
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** Records every hook call. */
class Recording extends ExtensionPipeline {
  log: string[] = [];
  isFailed = false;
  isEnded = false;
  messageBytes = 0;
  protected failed(): boolean {
    return this.isFailed;
  }
  protected ended(): boolean {
    return this.isEnded;
  }
  protected assemble(opcode: number, fin: boolean, data: Uint8Array): void {
    this.log.push(`assemble ${opcode} ${fin} ${text(data)}`);
  }
  protected messageLength(): number {
    return this.messageBytes;
  }
  protected closeFrame(payload: Uint8Array): void {
    this.log.push(`close ${payload.length}`);
  }
  protected fail(error: ProtocolError): void {
    this.isFailed = true;
    this.log.push(`fail ${error.closeCode}`);
  }
  protected writeFrame(fin: boolean, rsv: number, opcode: number, data: Uint8Array): void {
    this.log.push(`write ${opcode} ${fin} ${rsv} ${text(data)}`);
  }
  protected writePrepared(message: PreparedMessage): void {
    this.log.push(`frames ${text(message.data)}`);
  }
  protected writeClose(payload: Uint8Array): void {
    this.log.push(`writeClose ${payload.length}`);
  }
  protected drained(): void {}
  protected resumeInput(): void {
    this.log.push('resume');
  }
  protected sendsPumped(): void {}
}

function pipeline(maxBufferedInput = 1 << 20, maxMessageSize = 1 << 20) {
  const ext = new ManualUpper();
  return { ext, p: new Recording([ext], maxBufferedInput, maxMessageSize) };
}

describe('ExtensionPipeline: receiving', () => {
  it('frames behind a decode wait and come out in wire order, the close frame last', () => {
    const { ext, p } = pipeline();
    p.decode(1, true, 0x40, bytes('abc'));
    expect(p.decodeBusy).toBe(true);
    p.hold(2, true, 0, bytes('raw'));
    p.hold(1, true, 0x40, bytes('def'));
    p.hold(8, true, 0, new Uint8Array(2));
    expect(p.closeFramePending()).toBe(true);
    ext.flush(); // abc, then def is decoded when its turn comes
    ext.flush();
    expect(p.log).toEqual([
      'assemble 1 true ABC',
      'assemble 2 true raw',
      'assemble 1 true DEF',
      'close 2',
    ]);
    expect(p.decodeBusy).toBe(false);
  });

  it('held input counts payload plus the record: pause above the limit, fail at twice', () => {
    const limit = 3 * (10 + HELD_FRAME_OVERHEAD);
    const { ext, p } = pipeline(limit);
    p.decode(2, true, 0x40, bytes('x'));
    for (let i = 0; i < 4; i++) p.hold(2, true, 0, new Uint8Array(10));
    expect(p.inputPaused).toBe(true);
    ext.flush();
    expect(p.inputPaused).toBe(false);
    expect(p.log.at(-1)).toBe('resume');
    const b = pipeline(limit);
    b.p.decode(2, true, 0x40, bytes('x'));
    for (let i = 0; i < 7; i++) b.p.hold(2, true, 0, new Uint8Array(10));
    expect(b.p.log).toContain('fail 1008');
  });

  it('maxSize is what the message may still grow by; an extension error fails with its code', () => {
    const { ext, p } = pipeline(1 << 20, 10);
    p.messageBytes = 8;
    p.decode(0, true, 0x40, bytes('abc')); // a continuation: 10 - 8 = 2 bytes left
    ext.flush();
    expect(p.log).toEqual(['fail 1009']);
  });

  it('dropInput forgets held frames and resumes a paused input', () => {
    const { p } = pipeline(50); // 5 + 64 bytes held: over 50 (pause), under 100 (fail)
    p.decode(2, true, 0x40, bytes('x'));
    p.hold(2, true, 0, new Uint8Array(5));
    expect(p.inputPaused).toBe(true);
    p.dropInput();
    expect(p.decodeBusy).toBe(false);
    expect(p.log).toEqual(['resume']);
  });
});

describe('ExtensionPipeline: sending', () => {
  it('sends leave in call order behind an encode; close and prepared frames wait too', () => {
    const { ext, p } = pipeline();
    p.queue({
      opcode: 1,
      fin: true,
      rsv: 0,
      encodeMask: 1,
      data: bytes('hello'),
      prepared: null,
      size: 5,
      done: undefined,
    });
    expect(p.sendsWaiting).toBe(true);
    p.queue({
      opcode: 2,
      fin: true,
      rsv: 0,
      encodeMask: 0,
      data: bytes('b'),
      prepared: null,
      size: 1,
      done: undefined,
    });
    p.queue({
      opcode: PREPARED_FRAMES,
      fin: true,
      rsv: 0,
      encodeMask: 0,
      data: new Uint8Array(0),
      prepared: new PreparedMessage(bytes('P'), true),
      size: 1,
      done: undefined,
    });
    p.queueClose(new Uint8Array(2));
    expect(p.pendingLength).toBe(7);
    expect(p.log).toEqual([]);
    ext.flush();
    expect(p.log).toEqual([
      'write 1 true 64 HELLO',
      'write 2 true 0 b',
      'frames P',
      'writeClose 2',
    ]);
    expect(p.pendingLength).toBe(0);
    expect(p.sendsQueued).toBe(false);
  });

  it('encodeMaskFor: forced on/off, else each extension decides', () => {
    const { p } = pipeline();
    expect(p.encodeMaskFor(1, true, undefined)).toBe(0);
    expect(p.encodeMaskFor(10, true, undefined)).toBe(1);
    expect(p.encodeMaskFor(1, true, true)).toBe(1);
    expect(p.encodeMaskFor(10, true, false)).toBe(0);
  });

  it('an encode error fails with 1011; results after a failure or the end are dropped', () => {
    const ext: MessageExtension = {
      name: 'x-broken',
      rsvBit: 0x40,
      shouldEncode: () => true,
      encode: (_d, callback) => callback(new Error('zlib exploded')),
      decode: (_d, _f, _m, callback) => callback(null, new Uint8Array(0)),
      dispose() {},
    };
    const p = new Recording([ext], 1 << 20, 1 << 20);
    let done = 0;
    p.queue({
      opcode: 1,
      fin: true,
      rsv: 0,
      encodeMask: 1,
      data: bytes('x'),
      prepared: null,
      size: 1,
      done: () => done++,
    });
    expect(p.log).toEqual(['fail 1011']);
    expect(done).toBe(0);
    const m = pipeline();
    m.p.queue({
      opcode: 1,
      fin: true,
      rsv: 0,
      encodeMask: 1,
      data: bytes('late'),
      prepared: null,
      size: 4,
      done: undefined,
    });
    m.p.isEnded = true;
    m.ext.flush();
    expect(m.p.log).toEqual([]);
  });
});
