/**
 * Case groups 9 (limits and large messages: 64 KiB-16 MiB, fragment and read sizes, many
 * messages, absurd length headers refused at the header) and 10 (auto-fragmentation: messages
 * cut into frames, pings between fragments).
 */
import { Op } from '../frames.js';
import { B, echo, fail, fragments, KiB, MiB, ping, send, T } from './build.js';
import { binary, type Case, noise, pong, prose, text, utf8 } from './types.js';

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

/** Groups 9 and 10: limits, large messages, auto-fragmentation. */
export function limitsCases(): Case[] {
  return [...group9(), ...group10()];
}
