/**
 * Shared helpers of the engine tests: the memory modes every behaviour is checked in, a
 * sender/receiver pair on one agreement, promise wrappers and deterministic sample text.
 */

import { ProtocolError } from '@strata-ws/codec';
import { expect } from 'vitest';
import {
  createPerMessageDeflate,
  type DeflateEngineOptions,
  type PerMessageDeflate,
} from '../../src/node/engine.js';
import type { DeflateAgreement } from '../../src/params.js';

export const MODES: DeflateEngineOptions[] = [
  { memoryMode: 'pooled' }, // default: small messages synchronous, large on the thread pool
  { memoryMode: 'pooled', syncLimit: 0 }, // everything on the thread pool
  { memoryMode: 'pooled', syncLimit: 1 << 30 }, // everything synchronous
  { memoryMode: 'dedicated' },
];
export const modeName = (o: DeflateEngineOptions): string =>
  `${o.memoryMode}${o.syncLimit === 0 ? ' (thread pool)' : o.syncLimit === undefined ? '' : ' (sync)'}`;

export function agreement(
  role: 'client' | 'server',
  over: Partial<DeflateAgreement> = {},
): DeflateAgreement {
  return {
    role,
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...over,
  };
}

/** A sender (server role) and a receiver (client role) sharing one agreement. */
export function pair(
  over: Partial<DeflateAgreement>,
  options: DeflateEngineOptions = {},
): { sender: PerMessageDeflate; receiver: PerMessageDeflate } {
  const a = agreement('server', over);
  return {
    sender: createPerMessageDeflate(a, { threshold: 0, ...options }),
    receiver: createPerMessageDeflate({ ...a, role: 'client' }, { threshold: 0, ...options }),
  };
}

export function encode(ext: PerMessageDeflate, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    ext.encode(data, (error, out) => (error ? reject(error) : resolve(out as Uint8Array)));
  });
}

export function decode(
  ext: PerMessageDeflate,
  data: Uint8Array,
  fin: boolean = true,
  maxSize: number = 1 << 26,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    ext.decode(data, fin, maxSize, (error, out) =>
      error ? reject(error) : resolve(out as Uint8Array),
    );
  });
}

export async function decodeFrames(
  ext: PerMessageDeflate,
  frames: Uint8Array[],
  maxSize: number = 1 << 26,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let left = maxSize;
  for (let i = 0; i < frames.length; i++) {
    const out = await decode(ext, frames[i]!, i === frames.length - 1, left);
    left -= out.length;
    parts.push(out);
  }
  return Buffer.concat(parts);
}

export async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a rejection');
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Text with repeats at distances up to `span` bytes, plus fresh bytes, deterministic. */
export function sample(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] =
      i >= 300 && (x >>> 16) % 4 !== 0 ? out[i - 300 + ((x >>> 8) % 7)]! : 97 + ((x >>> 16) % 26);
  }
  return out;
}
