/**
 * Case group 7: the closing handshake — close after close, data after close, payload sizes,
 * invalid UTF-8 reasons, every valid close code (echoed or 1000) and every invalid one (1002)
 * (RFC 6455 §5.5.1, §7.4).
 */
import { Op } from '../frames.js';
import { B, close, cont, fail, KiB, ping, send, T } from './build.js';
import { binary, type Case, hex, noise, text } from './types.js';

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

/** Group 7: close handling. */
export function closeCases(): Case[] {
  return [...group7()];
}
