/**
 * Case group 5: fragmentation — control frames between fragments, bad continuations, empty
 * fragments, many tiny fragments, 4 MiB in 64/256/1024-byte fragments (RFC 6455 §5.4; the
 * count of fragments is bounded by bytes, not by a count).
 */
import { Op } from '../frames.js';
import {
  B,
  chopped,
  close,
  cont,
  echo,
  fail,
  fragments,
  KiB,
  MiB,
  ping,
  send,
  T,
} from './build.js';
import { binary, type Case, hex, noise, pong, prose, text } from './types.js';

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

/** Group 5: fragmentation. */
export function fragmentationCases(): Case[] {
  return [...group5()];
}
