/** Test helpers: Latin-1 text <-> bytes and hex, without DOM typings; typed-error capture. */
import { expect } from 'vitest';
import { HandshakeError } from '../src/index.js';

/** Runs `fn`, asserts it throws a HandshakeError, and returns that error. */
export function thrown(fn: () => unknown): HandshakeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HandshakeError);
    return e as HandshakeError;
  }
  throw new Error('expected a HandshakeError');
}

export function text(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function toHex(b: Uint8Array): string {
  let out = '';
  for (const x of b) out += x.toString(16).padStart(2, '0');
  return out;
}

/** A deterministic randomFill: byte i = (seed + i) & 255. */
export function counterFill(seed: number): (b: Uint8Array) => void {
  return (b) => {
    for (let i = 0; i < b.length; i++) b[i] = (seed + i) & 255;
  };
}

/**
 * Counts `String.prototype.charCodeAt` calls made by `fn`: every grammar scanner reads its input
 * through it, so the count is the work done.
 */
export function countCharReads(fn: () => void): number {
  const original = String.prototype.charCodeAt;
  let count = 0;
  String.prototype.charCodeAt = function (this: string, i: number): number {
    count++;
    return original.call(this, i);
  };
  try {
    fn();
  } finally {
    String.prototype.charCodeAt = original;
  }
  return count;
}
