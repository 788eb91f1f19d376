// The buffers a FrameParser gathers split payloads in (issue #13): sized to the bytes that
// arrived, never to the size a header announces, allocated through the host's `allocate`
// (whose memory is not zeroed: every byte handed out must have been written).
import { patternBytes } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertBytes } from '../test/host.js';
import { encodeFrame } from './frame-header.js';
import { FrameParser } from './frame-parser.js';

const MASK_KEY = 0x1badb002;

function wire(payload: Uint8Array, masked: boolean): { bytes: Uint8Array; headerLength: number } {
  const [header, body] = encodeFrame({
    opcode: 2,
    payload,
    maskKey: masked ? MASK_KEY : undefined,
  });
  const bytes = new Uint8Array(header.length + body.length);
  bytes.set(header);
  bytes.set(body, header.length);
  return { bytes, headerLength: header.length };
}

/** An allocator handing out memory full of 0xee, recording each size and when it was asked. */
function poisonedAllocator() {
  const calls: { size: number; received: number }[] = [];
  let received = 0;
  return {
    calls,
    setReceived(n: number) {
      received = n;
    },
    allocate(size: number): Uint8Array {
      calls.push({ size, received });
      return new Uint8Array(size).fill(0xee);
    },
  };
}

describe('FrameParser payload buffers', () => {
  test('property: any chunking, any options: payloads exact with a non-zeroed allocator; while a frame is incomplete every buffer is at most 4x the payload bytes received', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 126, max: 6000 }), fc.integer({ min: 65537, max: 70000 })),
        fc.uniqueArray(fc.integer({ min: 1, max: 69999 }), { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        (size, rawCuts, unmask, retainChunks) => {
          const payload = patternBytes(size, size & 0xff);
          const { bytes, headerLength } = wire(payload, true);
          const cuts = rawCuts.filter((c) => c < bytes.length).sort((a, b) => a - b);
          const host = poisonedAllocator();
          const parser = new FrameParser({ unmask, retainChunks, allocate: host.allocate });
          const got: Uint8Array[] = [];
          const sink = {
            frame(_header: unknown, data: Uint8Array) {
              got.push(data.slice());
            },
          };
          let start = 0;
          for (const end of [...cuts, bytes.length]) {
            // Payload bytes received once this chunk is in.
            host.setReceived(Math.max(0, end - headerLength));
            parser.push(bytes.slice(start, end), sink);
            start = end;
          }
          expect(got).toHaveLength(1);
          const received = got[0]!;
          if (!unmask) {
            for (let i = 0; i < received.length; i++)
              received[i]! ^= (MASK_KEY >>> (24 - 8 * (i & 3))) & 0xff;
          }
          assertBytes(received, payload);
          for (const call of host.calls) {
            // Either the whole payload (completing or close to complete) or a bounded buffer.
            if (call.size !== size) expect(call.size).toBeLessThanOrEqual(4 * call.received);
            expect(call.size).toBeLessThanOrEqual(size);
            // Nothing is allocated before a payload byte is in hand.
            expect(call.received).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a header announcing 1 MiB followed by 100 bytes allocates those 100 bytes (not the announced size)', () => {
    const { bytes, headerLength } = wire(new Uint8Array(1 << 20), true);
    for (const retainChunks of [false, true]) {
      const host = poisonedAllocator();
      const parser = new FrameParser({ unmask: true, retainChunks, allocate: host.allocate });
      parser.push(bytes.slice(0, headerLength), { frame() {} });
      expect(host.calls).toEqual([]);
      parser.push(bytes.slice(headerLength, headerLength + 100), { frame() {} });
      // retainChunks keeps a view of the chunk instead (copied once, whole, at the end).
      expect(host.calls.map((c) => c.size)).toEqual(retainChunks ? [] : [100]);
      expect(parser.bufferedLength).toBe(100);
    }
  });

  test('a 64 KiB frame in four 16 KiB reads is gathered with at most two allocations', () => {
    const payload = patternBytes(65536, 5);
    const { bytes } = wire(payload, true);
    const host = poisonedAllocator();
    const parser = new FrameParser({ unmask: true, allocate: host.allocate });
    let got: Uint8Array | null = null;
    for (let at = 0; at < bytes.length; at += 16384) {
      parser.push(bytes.slice(at, at + 16384), {
        frame(_h, data) {
          got = data;
        },
      });
    }
    assertBytes(got!, payload);
    expect(host.calls.length).toBeLessThanOrEqual(2);
    expect(host.calls.at(-1)!.size).toBe(65536);
  });
});
