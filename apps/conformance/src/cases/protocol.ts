/**
 * Case groups 1-7, 9 and 10: framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8,
 * close handling, limits and large messages, auto-fragmentation. Written from RFC 6455 and the
 * published descriptions of the Autobahn TestSuite's case groups (no case copied).
 */
import { closePayload, type FrameSpec, Op } from '../frames.js';
import {
  binary,
  type Case,
  type Expect,
  hex,
  type Msg,
  noise,
  pong,
  prose,
  type Step,
  text,
  utf8,
} from './types.js';

const KiB = 1024;
const MiB = 1024 * 1024;

const send = (...frames: FrameSpec[]): Step => ({ frames });
const chopped = (chunk: number, ...frames: FrameSpec[]): Step => ({ frames, chunk });
const T = (payload: Buffer | string, extra: Partial<FrameSpec> = {}): FrameSpec => ({
  op: Op.text,
  payload,
  ...extra,
});
const B = (payload: Buffer | string, extra: Partial<FrameSpec> = {}): FrameSpec => ({
  op: Op.binary,
  payload,
  ...extra,
});
const cont = (payload: Buffer | string, fin = true): FrameSpec => ({ op: Op.cont, payload, fin });
const ping = (payload: Buffer | string = '', extra: Partial<FrameSpec> = {}): FrameSpec => ({
  op: Op.ping,
  payload,
  ...extra,
});
const close = (code?: number, reason = ''): FrameSpec => ({
  op: Op.close,
  payload: closePayload(code, reason),
});
const echo = (...messages: Msg[]): Expect => ({ echo: messages });
const fail = (codes: number[], before: Msg[] = []): Expect => ({ fail: codes, before });

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

/** A message sent as frames of `size` payload bytes (first frame text/binary, then continuations). */
function fragments(type: 'text' | 'binary', data: Buffer, size: number): FrameSpec[] {
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

function group5(): Case[] {
  const g = '5 fragmentation';
  const t4k = prose(4 * KiB);
  const m4 = noise(4 * MiB, 5);
  const cases: Case[] = [
    {
      id: '5.1',
      group: g,
      title: 'ping fragmented in two frames',
      steps: [send(ping('frag', { fin: false }), cont('ment'))],
      expect: fail([1002]),
    },
    {
      id: '5.2',
      group: g,
      title: 'pong fragmented in two frames',
      steps: [send({ op: Op.pong, payload: 'frag', fin: false }, cont('ment'))],
      expect: fail([1002]),
    },
    {
      id: '5.3',
      group: g,
      title: 'text in two fragments',
      steps: [send(T('frag', { fin: false }), cont('ment'))],
      expect: echo(text('fragment')),
    },
    {
      id: '5.4',
      group: g,
      title: 'text in two fragments, 1-byte writes',
      steps: [chopped(1, T('frag', { fin: false }), cont('ment'))],
      expect: echo(text('fragment')),
    },
    {
      id: '5.5',
      group: g,
      title: 'text in two fragments with a ping between',
      steps: [send(T('frag', { fin: false }), ping('between'), cont('ment'))],
      expect: echo(pong('between'), text('fragment')),
    },
    {
      id: '5.6',
      group: g,
      title: 'as 5.5 in 1-byte writes',
      steps: [chopped(1, T('frag', { fin: false }), ping('between'), cont('ment'))],
      expect: echo(pong('between'), text('fragment')),
    },
    {
      id: '5.7',
      group: g,
      title: 'as 5.5, with a pause between fragments',
      steps: [
        send(T('frag', { fin: false })),
        { wait: 100 },
        send(ping('between')),
        { wait: 100 },
        send(cont('ment')),
      ],
      expect: echo(pong('between'), text('fragment')),
    },
    {
      id: '5.8',
      group: g,
      title: 'continuation (FIN) with nothing to continue',
      steps: [send(cont('oops'))],
      expect: fail([1002]),
    },
    {
      id: '5.9',
      group: g,
      title: 'continuation (no FIN) with nothing to continue',
      steps: [send(cont('oops', false), cont('oops'))],
      expect: fail([1002]),
    },
    {
      id: '5.10',
      group: g,
      title: 'text fragment, then a new text frame instead of a continuation',
      steps: [send(T('frag', { fin: false }), T('ment'))],
      expect: fail([1002]),
    },
    {
      id: '5.11',
      group: g,
      title: 'binary fragment continued by a binary frame',
      steps: [send(B(hex('01'), { fin: false }), B(hex('02')))],
      expect: fail([1002]),
    },
    {
      id: '5.12',
      group: g,
      title: 'empty fragments around one byte',
      steps: [send(T('', { fin: false }), cont('', false), cont('x', false), cont(''))],
      expect: echo(text('x')),
    },
    {
      id: '5.13',
      group: g,
      title: 'empty message in three empty fragments',
      steps: [send(B('', { fin: false }), cont('', false), cont(''))],
      expect: echo(binary(Buffer.alloc(0))),
    },
    {
      id: '5.14',
      group: g,
      title: 'close frame between fragments ends the message',
      steps: [send(T('frag', { fin: false }), close(1000), cont('ment'))],
      expect: { echo: [], closed: true, reply: [1000] },
    },
    {
      id: '5.20',
      group: g,
      title: '4 KiB text in 1-byte fragments (4096 frames)',
      steps: [send(...fragments('text', t4k, 1))],
      expect: echo(text(t4k)),
    },
    {
      id: '5.21',
      group: g,
      title: '4 MiB binary in 64-byte fragments (65,536 frames)',
      steps: [{ message: { type: 'binary', data: m4 }, fragment: 64, chunk: 256 * KiB }],
      expect: echo(binary(m4)),
      timeout: 20_000,
    },
    {
      id: '5.22',
      group: g,
      title: '4 MiB binary in 256-byte fragments',
      steps: [{ message: { type: 'binary', data: m4 }, fragment: 256, chunk: 256 * KiB }],
      expect: echo(binary(m4)),
      timeout: 20_000,
    },
    {
      id: '5.23',
      group: g,
      title: '4 MiB binary in 1 KiB fragments',
      steps: [{ message: { type: 'binary', data: m4 }, fragment: KiB, chunk: 256 * KiB }],
      expect: echo(binary(m4)),
      timeout: 20_000,
    },
    {
      id: '5.24',
      group: g,
      title: '1024 fragments of 1 byte (the largest count under a 1024 cap)',
      steps: [send(...fragments('binary', noise(1024), 1))],
      expect: echo(binary(noise(1024))),
    },
    {
      id: '5.25',
      group: g,
      title: '1025 fragments of 1 byte',
      steps: [send(...fragments('binary', noise(1025), 1))],
      expect: echo(binary(noise(1025))),
    },
  ];
  return cases;
}

/** Invalid UTF-8 sequences, each to be refused with 1007. */
const INVALID_UTF8: [string, string][] = [
  ['lone continuation byte', '80'],
  ['two continuation bytes', '80bf'],
  ['truncated 2-byte sequence at the end', 'c3'],
  ['truncated 3-byte sequence at the end', 'e282'],
  ['truncated 4-byte sequence at the end', 'f09f98'],
  ['overlong "/" in 2 bytes', 'c0af'],
  ['overlong "/" in 3 bytes', 'e080af'],
  ['overlong "/" in 4 bytes', 'f08080af'],
  ['overlong U+07FF in 3 bytes', 'e09fbf'],
  ['UTF-16 high surrogate U+D800', 'eda080'],
  ['UTF-16 low surrogate U+DFFF', 'edbfbf'],
  ['surrogate pair encoded as two sequences', 'eda0bdedb2a9'],
  ['code point above U+10FFFF', 'f4908080'],
  ['byte 0xFE', 'fe'],
  ['byte 0xFF', 'ff'],
  ['5-byte sequence', 'f888808080'],
  ['6-byte sequence', 'fc8480808080'],
  ['lead byte followed by ASCII', 'c341'],
  ['valid text, then a surrogate', 'cebae1bdb9cf83cebcceb5eda080656469746564'],
];

/** Valid boundary characters (must be echoed). */
const VALID_UTF8: [string, string][] = [
  ['U+0000', '00'],
  ['U+007F', '7f'],
  ['U+0080', 'c280'],
  ['U+07FF', 'dfbf'],
  ['U+0800', 'e0a080'],
  ['U+D7FF (last before surrogates)', 'ed9fbf'],
  ['U+E000 (first after surrogates)', 'ee8080'],
  ['U+FFFD', 'efbfbd'],
  ['U+FFFE (noncharacter, valid)', 'efbfbe'],
  ['U+FFFF (noncharacter, valid)', 'efbfbf'],
  ['U+10000', 'f0908080'],
  ['U+10FFFF', 'f48fbfbf'],
  ['Greek "κόσμε"', 'cebae1bdb9cf83cebcceb5'],
];

function group6(): Case[] {
  const g = '6 UTF-8';
  const cases: Case[] = [];
  VALID_UTF8.forEach(([name, bytes], i) => {
    const data = hex(bytes);
    cases.push({
      id: `6.1.${i + 1}`,
      group: g,
      title: `valid ${name}`,
      steps: [send(T(data))],
      expect: echo(text(data)),
    });
  });
  const kosme = hex('cebae1bdb9cf83cebcceb5f09f8c8d');
  cases.push({
    id: '6.2.1',
    group: g,
    title: 'valid multi-byte text in 1-byte fragments (frames end inside characters)',
    steps: [send(...fragments('text', kosme, 1))],
    expect: echo(text(kosme)),
  });
  cases.push({
    id: '6.2.2',
    group: g,
    title: 'valid multi-byte text in one frame, 1-byte writes',
    steps: [chopped(1, T(kosme))],
    expect: echo(text(kosme)),
  });
  cases.push({
    id: '6.2.3',
    group: g,
    title: 'valid multi-byte text, fragments of 3 bytes',
    steps: [send(...fragments('text', kosme, 3))],
    expect: echo(text(kosme)),
  });
  INVALID_UTF8.forEach(([name, bytes], i) => {
    cases.push({
      id: `6.3.${i + 1}`,
      group: g,
      title: `invalid: ${name}`,
      steps: [send(T(hex(bytes)))],
      expect: fail([1007]),
    });
  });
  const invalid = hex('cebae1bdb9cf83cebcceb5eda080656469746564');
  cases.push({
    id: '6.3.30',
    group: g,
    title: 'invalid text in 1-byte fragments',
    steps: [send(...fragments('text', invalid, 1))],
    expect: fail([1007]),
  });
  cases.push({
    id: '6.3.31',
    group: g,
    title: 'invalid text in one frame, 1-byte writes',
    steps: [chopped(1, T(invalid))],
    expect: fail([1007]),
  });
  const part1 = hex('cebae1bdb9cf83cebcceb5');
  const part2 = hex('f4908080');
  const part3 = hex('656469746564');
  cases.push({
    id: '6.4.1',
    group: g,
    title: 'fail fast across frames: valid fragment, pause, invalid fragment, pause, rest',
    steps: [
      send(T(part1, { fin: false })),
      { wait: 300, mark: 'A' },
      send(cont(part2, false)),
      { wait: 500, mark: 'B' },
      send(cont(part3)),
    ],
    expect: { fail: [1007], fastBy: 'B' },
  });
  cases.push({
    id: '6.4.2',
    group: g,
    title: 'fail fast across frames: the invalid byte starts the second fragment',
    steps: [
      send(T(hex('cebae1bdb9cf83cebcceb5f4'), { fin: false })),
      { wait: 300, mark: 'A' },
      send(cont(hex('90'), false)),
      { wait: 500, mark: 'B' },
      send(cont(hex('8080656469746564'))),
    ],
    expect: { fail: [1007], fastBy: 'B' },
  });
  // One frame in three reads: the second read makes it invalid (RFC 6455 §8.1 prefers failing now).
  const whole = Buffer.concat([part1, part2, part3]);
  cases.push({
    id: '6.4.3',
    group: g,
    title: 'fail fast within a frame: one text frame in three reads, invalid in the second',
    steps: [{ split: T(whole), at: [part1.length, part1.length + part2.length], wait: 400 }],
    expect: { fail: [1007], fastBy: 'B' },
  });
  cases.push({
    id: '6.4.4',
    group: g,
    title: 'fail fast within a frame: a large frame whose first read is invalid',
    steps: [{ split: T(Buffer.concat([hex('c0af'), prose(64 * KiB)])), at: [2], wait: 400 }],
    expect: { fail: [1007], fastBy: 'A' },
  });
  return cases;
}

/** Close codes a peer may send (RFC 6455 §7.4.1 and the IANA registry, 1000-1014 minus reserved). */
const VALID_CODES = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];
/** Codes that must never appear in a close frame. */
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

function group7(): Case[] {
  const g = '7 close handling';
  const cases: Case[] = [
    {
      id: '7.1.1',
      group: g,
      title: 'text, then close (after a pause)',
      steps: [send(T('Hello')), { wait: 300 }, send(close(1000))],
      expect: { echo: [text('Hello')], closed: true },
    },
    {
      id: '7.1.2',
      group: g,
      title: 'close, then a second close',
      steps: [send(close(1000), close(1000))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.1.3',
      group: g,
      title: 'close, then ping (no pong after close)',
      steps: [send(close(1000), ping('after close'))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.1.4',
      group: g,
      title: 'close, then text (no echo after close)',
      steps: [send(close(1000), T('after close'))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.1.5',
      group: g,
      title: 'text fragment, close, continuation',
      steps: [send(T('frag', { fin: false }), close(1000), cont('ment'))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.1.6',
      group: g,
      title: '256 KiB message, then close after a pause',
      steps: [send(B(noise(256 * KiB))), { wait: 500 }, send(close(1000))],
      expect: { echo: [binary(noise(256 * KiB))], closed: true },
    },
    {
      id: '7.3.1',
      group: g,
      title: 'close without payload',
      steps: [send(close())],
      expect: { echo: [], closed: true, reply: [1005, 1000] },
    },
    {
      id: '7.3.2',
      group: g,
      title: 'close with a 1-byte payload',
      steps: [send({ op: Op.close, payload: hex('03') })],
      expect: fail([1002]),
    },
    {
      id: '7.3.3',
      group: g,
      title: 'close 1000 without reason',
      steps: [send(close(1000))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.3.4',
      group: g,
      title: 'close 1000 with a short reason',
      steps: [send(close(1000, 'Hello World!'))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.3.5',
      group: g,
      title: 'close 1000 with a 123-byte reason',
      steps: [send(close(1000, 'r'.repeat(123)))],
      expect: { echo: [], closed: true },
    },
    {
      id: '7.3.6',
      group: g,
      title: 'close with a 124-byte reason (control frame too long)',
      steps: [send(close(1000, 'r'.repeat(124)))],
      expect: fail([1002]),
    },
    {
      id: '7.5.1',
      group: g,
      title: 'close reason that is invalid UTF-8',
      steps: [
        send({
          op: Op.close,
          payload: Buffer.concat([hex('03e8'), hex('cebae1bdb9cf83cebcceb5eda080656469746564')]),
        }),
      ],
      expect: fail([1007]),
    },
    {
      id: '7.5.2',
      group: g,
      title: 'close reason with valid multi-byte UTF-8',
      steps: [send(close(1000, 'κόσμε 🌍'))],
      expect: { echo: [], closed: true },
    },
  ];
  VALID_CODES.forEach((code, i) => {
    cases.push({
      id: `7.7.${i + 1}`,
      group: g,
      title: `close with valid code ${code}`,
      steps: [send(close(code))],
      expect: { echo: [], closed: true, reply: [code, 1000] },
    });
  });
  INVALID_CODES.forEach((code, i) => {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    cases.push({
      id: `7.9.${i + 1}`,
      group: g,
      title: `close with invalid code ${code}`,
      steps: [send({ op: Op.close, payload })],
      expect: fail([1002]),
    });
  });
  return cases;
}

function group9(): Case[] {
  const g = '9 limits and large messages';
  const cases: Case[] = [];
  const sizes = [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB];
  sizes.forEach((n, i) => {
    const label = n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`;
    const t = prose(n);
    cases.push({
      id: `9.1.${i + 1}`,
      group: g,
      title: `text message of ${label}`,
      steps: [{ message: { type: 'text', data: t }, chunk: MiB }],
      expect: echo(text(t)),
      timeout: 30_000,
    });
    const b = noise(n, i + 11);
    cases.push({
      id: `9.2.${i + 1}`,
      group: g,
      title: `binary message of ${label}`,
      steps: [{ message: { type: 'binary', data: b }, chunk: MiB }],
      expect: echo(binary(b)),
      timeout: 30_000,
    });
  });
  const t4 = prose(4 * MiB);
  [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].forEach((size, i) => {
    cases.push({
      id: `9.3.${i + 1}`,
      group: g,
      title: `4 MiB text in ${size >= KiB ? `${size / KiB} KiB` : `${size}-byte`} fragments`,
      steps: [{ message: { type: 'text', data: t4 }, fragment: size, chunk: 256 * KiB }],
      expect: echo(text(t4)),
      timeout: 30_000,
    });
  });
  const b1 = noise(MiB, 99);
  [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB].forEach((size, i) => {
    cases.push({
      id: `9.5.${i + 1}`,
      group: g,
      title: `1 MiB binary frame written in ${size}-byte reads`,
      steps: [{ message: { type: 'binary', data: b1 }, chunk: size }],
      expect: echo(binary(b1)),
      timeout: 30_000,
    });
  });
  const many = Array.from({ length: 1000 }, (_, i) => utf8(`message ${i}`));
  cases.push({
    id: '9.7.1',
    group: g,
    title: '1000 small text messages in one write',
    steps: [send(...many.map((m) => T(m)))],
    expect: echo(...many.map((m) => text(m))),
    timeout: 20_000,
  });
  cases.push({
    id: '9.8.1',
    group: g,
    title: '1000 small binary messages, one per write',
    steps: many.map((m) => send(B(m))),
    expect: echo(...many.map((m) => binary(m))),
    timeout: 20_000,
  });
  // A header announcing a frame far over any sane limit: refused at the header (1009), not buffered.
  cases.push({
    id: '9.9.1',
    group: g,
    title: 'frame header announcing 2^53-1 bytes',
    steps: [send({ op: Op.binary, declaredLength: 2n ** 53n - 1n })],
    expect: fail([1009]),
  });
  cases.push({
    id: '9.9.2',
    group: g,
    title: '64-bit length with the top bit set',
    steps: [send({ op: Op.binary, declaredLength: 2n ** 63n + 1n })],
    expect: fail([1002, 1009]),
  });
  return cases;
}

function group10(): Case[] {
  const g = '10 auto-fragmentation';
  const t = prose(65536);
  const b = noise(MiB, 10);
  return [
    {
      id: '10.1.1',
      group: g,
      title: '64 KiB text in 1300-byte frames',
      steps: [{ message: { type: 'text', data: t }, fragment: 1300 }],
      expect: echo(text(t)),
    },
    {
      id: '10.1.2',
      group: g,
      title: '1 MiB binary in 4 KiB frames',
      steps: [{ message: { type: 'binary', data: b }, fragment: 4096 }],
      expect: echo(binary(b)),
      timeout: 20_000,
    },
    {
      id: '10.1.3',
      group: g,
      title: 'fragmented text with a ping after every fragment',
      steps: [send(...fragments('text', prose(4000), 1000).flatMap((f, i) => [f, ping(`p${i}`)]))],
      expect: echo(pong('p0'), pong('p1'), pong('p2'), text(prose(4000)), pong('p3')),
    },
  ];
}

/** Every case of groups 1-7, 9 and 10. */
export function protocolCases(): Case[] {
  return [
    ...group1(),
    ...group2(),
    ...group3(),
    ...group4(),
    ...group5(),
    ...group6(),
    ...group7(),
    ...group9(),
    ...group10(),
  ];
}
