/**
 * The engine inside `@strata-ws/protocol`'s extension pipeline (RFC 7692 §6: RSV1 marks a
 * compressed message; §6.1: fragments; RFC 6455 §7.4.1: 1009 for a message too big).
 */

import { Connection, type ConnectionHandler } from '@strata-ws/protocol';
import { RFC7692_EXAMPLES } from '@strata-ws/test-vectors';
import { describe, expect, it } from 'vitest';
import type { DeflateAgreement } from '../src/index.js';
import { createPerMessageDeflate } from '../src/node/index.js';

function recorder() {
  const events: string[] = [];
  const handler: ConnectionHandler = {
    onMessage: (data, isBinary) =>
      events.push(
        `${isBinary ? 'binary' : 'text'}:${isBinary ? Buffer.from(data).toString('hex') : new TextDecoder().decode(data)}`,
      ),
    onPing: () => events.push('ping'),
    onPong: () => events.push('pong'),
    onClose: (code) => events.push(`close:${code}`),
    onFail: (error) => events.push(`fail:${error.closeCode}`),
    onOutput: () => {},
  };
  return { events, handler };
}

/** Masks a client frame with the zero key (mask bit set, payload unchanged). */
function masked(frame: Uint8Array): Uint8Array {
  const len = frame[1]! & 0x7f;
  if (len > 125) throw new Error('short frames only');
  const out = new Uint8Array(frame.length + 4);
  out[0] = frame[0]!;
  out[1] = frame[1]! | 0x80;
  out.set(frame.subarray(2), 6);
  return out;
}

function until(events: string[], count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (events.length >= count) resolve();
      else if (Date.now() - started > 5000) reject(new Error(`events: ${events.join(', ')}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const server: DeflateAgreement = {
  role: 'server',
  serverNoContextTakeover: true,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

describe('in the protocol engine', () => {
  for (const memoryMode of ['pooled', 'dedicated'] as const) {
    it(`${memoryMode}: decodes the RFC 7692 frames, fragmented or not, with context takeover`, async () => {
      const { events, handler } = recorder();
      const conn = new Connection(handler, {
        role: 'server',
        extensions: [createPerMessageDeflate(server, { memoryMode })],
      });
      const v = RFC7692_EXAMPLES;
      for (const f of v.helloOneBlock.frames) conn.receive(masked(f));
      for (const f of v.helloFragmented.frames) conn.receive(masked(f));
      await until(events, 2);
      // §7.2.3.2: the client's window now holds "Hello" (from the fragmented message).
      for (const f of v.helloSecondWithContextTakeover.frames) conn.receive(masked(f));
      await until(events, 3);
      expect(events).toEqual(['text:Hello', 'text:Hello', 'text:Hello']);
    });

    it(`${memoryMode}: sends compressed messages with RSV1 from the threshold up`, async () => {
      const { handler } = recorder();
      const conn = new Connection(handler, {
        role: 'server',
        extensions: [createPerMessageDeflate(server, { memoryMode })],
      });
      const big = 'abc'.repeat(1000);
      conn.sendText('small');
      conn.sendText(big);
      await new Promise<void>((resolve) => {
        const tick = () => (conn.pendingLength === 0 ? resolve() : setTimeout(tick, 5));
        tick();
      });
      const out = Buffer.concat(conn.takeOutput());
      // First frame: uncompressed "small" (RSV1 clear).
      expect(out.subarray(0, 7).toString('hex')).toBe(
        `8105${Buffer.from('small').toString('hex')}`,
      );
      // Second frame: RSV1 + FIN + text, compressed payload much shorter than 3000 bytes.
      expect(out[7]).toBe(0xc1);
      const len = out[8]! & 0x7f;
      expect(len).toBeLessThan(126);
      const receiver = createPerMessageDeflate({ ...server, role: 'client' });
      const text = await new Promise<string>((resolve, reject) =>
        receiver.decode(out.subarray(9, 9 + len), true, 1 << 20, (e, d) =>
          e ? reject(e) : resolve(new TextDecoder().decode(d)),
        ),
      );
      expect(text).toBe(big);
    });

    it(`${memoryMode}: a compressed message over maxMessageSize fails the connection with 1009`, async () => {
      const { events, handler } = recorder();
      const conn = new Connection(handler, {
        role: 'server',
        maxMessageSize: 1000,
        extensions: [createPerMessageDeflate(server, { memoryMode })],
      });
      // 2000 zero bytes compress into a few bytes.
      const { deflateRawSync, constants } = await import('node:zlib');
      const z = deflateRawSync(Buffer.alloc(2000), { finishFlush: constants.Z_SYNC_FLUSH });
      const payload = z.subarray(0, z.length - 4);
      conn.receive(masked(Buffer.concat([Buffer.from([0xc2, payload.length]), payload])));
      await until(events, 1);
      expect(events).toEqual(['fail:1009']);
    });
  }
});
