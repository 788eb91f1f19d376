/**
 * Case groups 1-4: framing (every length edge, read sizes, non-minimal lengths, masking),
 * ping/pong, reserved bits and reserved opcodes. Written from RFC 6455 §5 and the published
 * descriptions of the Autobahn TestSuite's groups (no case copied).
 */
import { Op } from '../frames.js';
import { B, chopped, close, cont, echo, fail, ping, send, T } from './build.js';
import { binary, type Case, hex, noise, pong, prose, text } from './types.js';

function group1(): Case[] {
  const g = '1 framing';
  const sizes = [0, 125, 126, 127, 128, 65535, 65536];
  const cases: Case[] = [];
  sizes.forEach((n, i) => {
    const data = Buffer.alloc(n, 0x2a);
    cases.push({
      id: `1.1.${i + 1}`,
      group: g,
      title: `text, ${n} bytes`,
      steps: [send(T(data))],
      expect: echo(text(data)),
    });
    cases.push({
      id: `1.2.${i + 1}`,
      group: g,
      title: `binary, ${n} bytes`,
      steps: [send(B(noise(n, i + 1)))],
      expect: echo(binary(noise(n, i + 1))),
    });
  });
  const big = prose(65536);
  cases.push({
    id: '1.1.8',
    group: g,
    title: 'text, 65536 bytes written in 997-byte reads',
    steps: [chopped(997, T(big))],
    expect: echo(text(big)),
  });
  cases.push({
    id: '1.2.8',
    group: g,
    title: 'binary, 65536 bytes written in 997-byte reads',
    steps: [chopped(997, B(noise(65536)))],
    expect: echo(binary(noise(65536))),
  });
  cases.push({
    id: '1.3.1',
    group: g,
    title: 'two frames in one write, header split from payload',
    steps: [chopped(1, T('ab'), B(hex('00ff')))],
    expect: echo(text('ab'), binary(hex('00ff'))),
  });
  cases.push({
    id: '1.4.1',
    group: g,
    title: 'non-minimal 16-bit length for a 5-byte payload',
    steps: [send(T('Hello', { lengthForm: 16 }))],
    expect: { fail: [1002], lenient: [text('Hello')] },
  });
  cases.push({
    id: '1.4.2',
    group: g,
    title: 'non-minimal 64-bit length for a 200-byte payload',
    steps: [send(B(noise(200), { lengthForm: 64 }))],
    expect: { fail: [1002], lenient: [binary(noise(200))] },
  });
  cases.push({
    id: '1.5.1',
    group: g,
    title: 'client frame without mask (server must fail)',
    fuzzer: 'client',
    steps: [send(T('Hello', { masked: false }))],
    expect: fail([1002]),
  });
  cases.push({
    id: '1.5.2',
    group: g,
    title: 'masked frame from the server (client must fail)',
    fuzzer: 'server',
    steps: [send(T('Hello', { masked: true }))],
    expect: fail([1002]),
  });
  return cases;
}

function group2(): Case[] {
  const g = '2 ping/pong';
  const p125 = noise(125, 7);
  return [
    {
      id: '2.1',
      group: g,
      title: 'ping without payload',
      steps: [send(ping())],
      expect: echo(pong()),
    },
    {
      id: '2.2',
      group: g,
      title: 'ping with a text payload',
      steps: [send(ping('Hello, world!'))],
      expect: echo(pong('Hello, world!')),
    },
    {
      id: '2.3',
      group: g,
      title: 'ping with a binary payload',
      steps: [send(ping(hex('00ff fe fd fc fb 00 ff')))],
      expect: echo(pong(hex('00ff fe fd fc fb 00 ff'))),
    },
    {
      id: '2.4',
      group: g,
      title: 'ping with 125 bytes',
      steps: [send(ping(p125))],
      expect: echo(pong(p125)),
    },
    {
      id: '2.5',
      group: g,
      title: 'ping with 126 bytes (control frame too long)',
      steps: [send(ping(noise(126)))],
      expect: fail([1002]),
    },
    {
      id: '2.6',
      group: g,
      title: 'ping with 125 bytes written 1 byte at a time',
      steps: [chopped(1, ping(p125))],
      expect: echo(pong(p125)),
    },
    {
      id: '2.7',
      group: g,
      title: 'unsolicited pong without payload',
      steps: [send({ op: Op.pong })],
      expect: echo(),
    },
    {
      id: '2.8',
      group: g,
      title: 'unsolicited pong with payload',
      steps: [send({ op: Op.pong, payload: 'unsolicited' })],
      expect: echo(),
    },
    {
      id: '2.9',
      group: g,
      title: 'unsolicited pong, then ping',
      steps: [send({ op: Op.pong, payload: 'x' }, ping('ping after pong'))],
      expect: echo(pong('ping after pong')),
    },
    {
      id: '2.10',
      group: g,
      title: '10 pings in one write',
      steps: [send(...Array.from({ length: 10 }, (_, i) => ping(`ping ${i}`)))],
      expect: echo(...Array.from({ length: 10 }, (_, i) => pong(`ping ${i}`))),
    },
    {
      id: '2.11',
      group: g,
      title: '10 pings, 1 byte per write',
      steps: [chopped(1, ...Array.from({ length: 10 }, (_, i) => ping(`ping ${i}`)))],
      expect: echo(...Array.from({ length: 10 }, (_, i) => pong(`ping ${i}`))),
    },
  ];
}

function group3(): Case[] {
  const g = '3 reserved bits';
  return [
    {
      id: '3.1',
      group: g,
      title: 'text with RSV1 (nothing negotiated)',
      steps: [send(T('Hello', { rsv: 0x40 }))],
      expect: fail([1002]),
    },
    {
      id: '3.2',
      group: g,
      title: 'valid text, then text with RSV2, then ping',
      steps: [send(T('Hello'), T('Hello', { rsv: 0x20 }), ping())],
      expect: fail([1002], [text('Hello')]),
    },
    {
      id: '3.3',
      group: g,
      title: 'valid text, then text with RSV1|RSV2, then ping, in 1-byte writes',
      steps: [chopped(1, T('Hello'), T('Hello', { rsv: 0x60 }), ping())],
      expect: fail([1002], [text('Hello')]),
    },
    {
      id: '3.4',
      group: g,
      title: 'binary with RSV3',
      steps: [send(B(noise(16), { rsv: 0x10 }))],
      expect: fail([1002]),
    },
    {
      id: '3.5',
      group: g,
      title: 'ping with RSV1|RSV3',
      steps: [send(ping('x', { rsv: 0x50 }))],
      expect: fail([1002]),
    },
    {
      id: '3.6',
      group: g,
      title: 'close with all RSV bits',
      steps: [send({ ...close(1000), rsv: 0x70 })],
      expect: fail([1002]),
    },
    {
      id: '3.7',
      group: g,
      title: 'continuation with RSV2 inside a fragmented message',
      steps: [send(T('frag', { fin: false }), { ...cont('ment'), rsv: 0x20 })],
      expect: fail([1002]),
    },
  ];
}

function group4(): Case[] {
  const g = '4 opcodes';
  const cases: Case[] = [];
  for (const op of [3, 4, 5, 6, 7]) {
    cases.push({
      id: `4.1.${op - 2}`,
      group: g,
      title: `reserved data opcode ${op} after a valid text`,
      steps: [send(T('Hello'), { op, payload: 'x' }, ping())],
      expect: fail([1002], [text('Hello')]),
    });
  }
  for (const op of [11, 12, 13, 14, 15]) {
    cases.push({
      id: `4.2.${op - 10}`,
      group: g,
      title: `reserved control opcode ${op} after a valid text`,
      steps: [send(T('Hello'), { op, payload: 'x' }, ping())],
      expect: fail([1002], [text('Hello')]),
    });
  }
  return cases;
}

/** Groups 1-4: framing, ping/pong, reserved bits, opcodes. */
export function framingCases(): Case[] {
  return [...group1(), ...group2(), ...group3(), ...group4()];
}
