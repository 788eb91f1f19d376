/**
 * Case groups 12 (permessage-deflate: payloads) and 13 (permessage-deflate: parameter
 * combinations), written from RFC 7692. The fuzzer compresses what it sends and decompresses
 * what it gets with exactly the agreed parameters.
 */
import zlib from 'node:zlib';
import { Op } from '../frames.js';
import {
  binary,
  type Case,
  type DeflateParams,
  hex,
  noise,
  prose,
  type Step,
  text,
} from './types.js';

const KiB = 1024;

/** Raw deflate of `data` with a sync flush, the trailing 00 00 ff ff removed (RFC 7692 §7.2.1). */
function deflated(data: Buffer): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A short script of compressible and incompressible messages that repeat (context takeover matters). */
function exchange(sizes: number[]): { steps: Step[]; expect: Case['expect'] } {
  const steps: Step[] = [];
  const echoes = [];
  for (const [i, n] of sizes.entries()) {
    const t = prose(n);
    const b = noise(n, i + 3);
    steps.push(
      { message: { type: 'text', data: t } },
      { message: { type: 'binary', data: b } },
      { message: { type: 'text', data: t } },
    );
    echoes.push(text(t), binary(b), text(t));
  }
  return { steps, expect: { echo: echoes } };
}

function group12(): Case[] {
  const g = '12 permessage-deflate payloads';
  const offer: DeflateParams = {};
  const cases: Case[] = [];
  [16, 64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1024 * KiB].forEach((n, i) => {
    cases.push({
      id: `12.1.${i + 1}`,
      group: g,
      title: `compressed text/binary/text of ${n} bytes (default offer)`,
      deflate: offer,
      ...exchange([n]),
      timeout: 20_000,
    });
  });
  const t64 = prose(64 * KiB);
  cases.push({
    id: '12.2.1',
    group: g,
    title: 'compressed 64 KiB text in 7-byte fragments',
    deflate: offer,
    steps: [{ message: { type: 'text', data: t64 }, fragment: 7 }],
    expect: { echo: [text(t64)] },
    timeout: 20_000,
  });
  cases.push({
    id: '12.2.2',
    group: g,
    title: 'compressed 64 KiB text in 1 KiB fragments',
    deflate: offer,
    steps: [{ message: { type: 'text', data: t64 }, fragment: KiB }],
    expect: { echo: [text(t64)] },
  });
  cases.push({
    id: '12.2.3',
    group: g,
    title: 'an uncompressed message after a compressed one',
    deflate: offer,
    steps: [
      { message: { type: 'text', data: t64 } },
      { message: { type: 'text', data: t64 }, compress: false },
    ],
    expect: { echo: [text(t64), text(t64)] },
  });
  cases.push({
    id: '12.3.1',
    group: g,
    title: 'RSV1 on a continuation frame',
    deflate: offer,
    steps: [
      {
        frames: [
          { op: Op.text, payload: 'frag', fin: false },
          { op: Op.cont, payload: 'ment', rsv: 0x40 },
        ],
      },
    ],
    expect: { fail: [1002] },
  });
  cases.push({
    id: '12.3.2',
    group: g,
    title: 'RSV1 on a ping',
    deflate: offer,
    steps: [{ frames: [{ op: Op.ping, payload: 'x', rsv: 0x40 }] }],
    expect: { fail: [1002] },
  });
  cases.push({
    id: '12.3.3',
    group: g,
    title: 'compressed message that is not valid deflate data',
    deflate: offer,
    steps: [{ frames: [{ op: Op.binary, payload: hex('ffffffff0102'), rsv: 0x40 }] }],
    expect: { fail: [1007], tolerate: [1002] },
  });
  cases.push({
    id: '12.3.4',
    group: g,
    title: 'compressed text that inflates to invalid UTF-8',
    deflate: offer,
    steps: [{ frames: [{ op: Op.text, payload: deflated(hex('48656c6c6fc0af')), rsv: 0x40 }] }],
    expect: { fail: [1007] },
  });
  return cases;
}

function group13(): Case[] {
  const g = '13 permessage-deflate parameters';
  const cases: Case[] = [];
  let n = 0;
  for (const clientNoContextTakeover of [false, true]) {
    for (const serverNoContextTakeover of [false, true]) {
      for (const bits of [undefined, 9, 10, 11, 12, 13, 14, 15]) {
        n++;
        const deflate: DeflateParams = { clientNoContextTakeover, serverNoContextTakeover };
        if (bits) {
          deflate.serverMaxWindowBits = bits;
          deflate.clientMaxWindowBits = bits;
        }
        const label = [
          clientNoContextTakeover ? 'client_no_context_takeover' : '',
          serverNoContextTakeover ? 'server_no_context_takeover' : '',
          bits ? `max_window_bits=${bits}` : 'default windows',
        ]
          .filter(Boolean)
          .join(', ');
        cases.push({
          id: `13.${n}`,
          group: g,
          title: label,
          deflate,
          ...exchange([64, 4 * KiB, 64 * KiB]),
          timeout: 10_000,
        });
      }
    }
  }
  return cases;
}

/** Groups 12 and 13. */
export function deflateCases(): Case[] {
  return [...group12(), ...group13()];
}
