/**
 * Case group 6: UTF-8 — valid boundary characters, invalid sequences (1007), fragments ending
 * inside characters, and fail-fast across frames and within one frame across reads
 * (RFC 6455 §8.1).
 */
import { chopped, cont, echo, fail, fragments, KiB, send, T } from './build.js';
import { type Case, hex, prose, text } from './types.js';

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

/** Group 6: UTF-8 handling. */
export function utf8Cases(): Case[] {
  return [...group6()];
}
