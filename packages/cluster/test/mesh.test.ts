// The direct links between workers (mesh.ts), two or three meshes in this process over real
// Unix domain sockets: subscriptions are told and acknowledged, a tick's messages leave in
// one write per link and only for the topics a link subscribed to, frames split anywhere by
// the socket are put back together byte for byte, a broken frame closes the link and is
// counted, the byte bound holds, and a closed listener leaves no socket file.
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../src/envelope.js';
import { Mesh, type MeshEvents } from '../src/mesh.js';

interface Recorder extends MeshEvents {
  readonly got: { topic: string; data: string }[];
  readonly counts: { malformed: number; lost: number; full: number };
}

function recorder(): Recorder {
  const got: { topic: string; data: string }[] = [];
  const counts = { malformed: 0, lost: 0, full: 0 };
  return {
    got,
    counts,
    message(bytes) {
      const envelope = decodeEnvelope(bytes);
      if (envelope === null) throw new Error('not an envelope');
      got.push({ topic: envelope.topic, data: Buffer.from(envelope.message.data).toString() });
    },
    malformed: () => {
      counts.malformed++;
    },
    lost: (_topic, count) => {
      counts.lost += count;
    },
    full: (_topic, count) => {
      counts.full += count;
    },
  };
}

const meshes: Mesh[] = [];
afterEach(() => {
  for (const mesh of meshes.splice(0)) mesh.shutdown();
});

async function mesh(nodeId: string, maxQueueBytes = 1 << 20): Promise<[Mesh, Recorder]> {
  const events = recorder();
  const m = new Mesh(nodeId, maxQueueBytes, events);
  meshes.push(m);
  await m.listen();
  return [m, events];
}

function envelope(topic: string, text: string): Uint8Array {
  return encodeEnvelope('origin', topic, {
    data: Buffer.from(text),
    isBinary: false,
    compress: undefined,
  });
}

async function until<T>(check: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function frame(kind: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32LE(body.length, 0);
  out[4] = kind;
  out.set(body, 5);
  return out;
}

async function rawLink(address: string): Promise<Socket> {
  const socket = connect({ path: address });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.resume(); // read (and drop) what the mesh answers
  return socket;
}

describe('Mesh (direct links between workers)', () => {
  it('tells subscriptions, waits for their acks, and routes each topic only where subscribed', async () => {
    const [a, atA] = await mesh('a');
    const [b, atB] = await mesh('b');
    b.join([{ address: a.address, nodeId: 'a' }]);
    await b.ready;
    a.open('t');
    await a.subscribed('t');
    // a's subscription is acknowledged: b knows it (and not the other topic).
    expect(b.wants('t')).toBe(true);
    expect(b.wants('u')).toBe(false);
    expect(b.queue('t', envelope('t', 'one'))).toBe(true);
    expect(b.queue('u', envelope('u', 'not for a'))).toBe(true);
    expect(b.queue('t', envelope('t', 'two'))).toBe(true);
    await until(() => (atA.got.length >= 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(atA.got).toEqual([
      { topic: 't', data: 'one' },
      { topic: 't', data: 'two' },
    ]);
    // b's topics opened before the link existed reach a newcomer in its handshake.
    b.open('from-b');
    const [c, atC] = await mesh('c');
    c.join([
      { address: a.address, nodeId: 'a' },
      { address: b.address, nodeId: 'b' },
    ]);
    await c.ready;
    await until(() => (c.wants('from-b') && c.wants('t') ? true : undefined));
    a.queue('from-b', envelope('from-b', 'x'));
    await until(() => (atB.got.length === 1 ? true : undefined));
    expect(atB.got).toEqual([{ topic: 'from-b', data: 'x' }]);
    // Unsubscribed: no longer sent there.
    a.close('t');
    await until(() => (!b.wants('t') && !c.wants('t') ? true : undefined));
    expect(atC.got).toEqual([]);
    expect(atA.counts).toEqual({ malformed: 0, lost: 0, full: 0 });
  });

  it('puts frames split anywhere by the socket back together, byte for byte, in order', async () => {
    const [a, atA] = await mesh('a');
    a.open('t');
    const socket = await rawLink(a.address);
    const payloads = ['α'.repeat(300), 'b', '', 'c'.repeat(70_000)];
    const bytes = Buffer.concat([
      frame(1, Buffer.from('peer')),
      ...payloads.map((p) => frame(5, envelope('t', p))),
    ]);
    // Odd-sized pieces, each its own write and read.
    for (let offset = 0, step = 1; offset < bytes.length; offset += step, step = step * 3 + 1) {
      socket.write(bytes.subarray(offset, Math.min(bytes.length, offset + step)));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(() => (atA.got.length === payloads.length ? true : undefined));
    expect(atA.got.map((g) => g.data)).toEqual(payloads);
    socket.destroy();
  });

  it('closes a link on a broken frame and counts it', async () => {
    const [a, atA] = await mesh('a', 1 << 16);
    for (const bad of [
      Buffer.concat([frame(1, Buffer.from('peer')), frame(9, Buffer.from('x'))]), // unknown kind
      Buffer.from([0xff, 0xff, 0xff, 0x7f, 5]), // a frame over the size limit
      frame(2, Buffer.from([0xc3, 0x28])), // a topic that is not UTF-8
    ]) {
      const socket = await rawLink(a.address);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.on('error', () => {});
      socket.write(bad);
      await closed;
    }
    expect(atA.counts.malformed).toBe(3);
  });

  it('bounds the bytes of a tick and of a link backlog, and forgets a link that closed', async () => {
    const [a, atA] = await mesh('a', 4096);
    const [b] = await mesh('b', 4096);
    b.join([{ address: a.address, nodeId: 'a' }]);
    await b.ready;
    a.open('t');
    await a.subscribed('t');
    let queued = 0;
    for (let i = 0; i < 10; i++) if (b.queue('t', envelope('t', 'x'.repeat(1000)))) queued++;
    // 4096 bytes hold 4 frames of ~1040 bytes... minus the header: 3 fit.
    expect(queued).toBe(3);
    expect(b.queuedBytes).toBeLessThanOrEqual(4096);
    // Once written and read, the bound lets messages through again.
    await until(() => (atA.got.length === 3 ? true : undefined));
    expect(b.queue('t', envelope('t', 'y'.repeat(3000)))).toBe(true);
    await until(() => (atA.got.length === 4 ? true : undefined));
    // a goes away: b forgets its subscriptions, and a pending subscribed() settles.
    b.open('u');
    const pending = b.subscribed('u');
    a.shutdown();
    await pending;
    await until(() => (!b.wants('t') ? true : undefined));
  });

  it('a link that does not read: its backlog is bounded, dropped messages counted, and it flows again once read', async () => {
    const [b, atB] = await mesh('b', 16_384);
    const slow = await rawLink(b.address);
    slow.pause(); // reads nothing: the socket buffers fill, then b's backlog grows
    slow.write(Buffer.concat([frame(1, Buffer.from('slow')), frame(2, Buffer.from('t'))]));
    await until(() => (b.wants('t') ? true : undefined));
    let sent = 0;
    let refused = 0;
    for (let tick = 0; tick < 2000 && refused + atB.counts.full === 0; tick++) {
      for (let i = 0; i < 8; i++) {
        if (b.queue('t', envelope('t', 'z'.repeat(1000)))) sent++;
        else refused++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused + atB.counts.full).toBeGreaterThan(0);
    expect(b.queuedBytes).toBeLessThanOrEqual(16_384 + 8 * 1045);
    // The reader catches up: the bound lets messages through again.
    let received = 0;
    slow.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    slow.resume();
    await until(() => (b.queue('t', envelope('t', 'w'.repeat(16_000))) ? true : undefined));
    expect(sent).toBeGreaterThan(0);
    await until(() => (received > 0 ? true : undefined));
    slow.destroy();
  });

  it('removes its socket file when it shuts down', async () => {
    const [a] = await mesh('a');
    expect(existsSync(a.address)).toBe(true);
    a.shutdown();
    await until(() => (existsSync(a.address) ? undefined : true));
  });
});
