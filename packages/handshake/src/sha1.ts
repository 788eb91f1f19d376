/**
 * SHA-1 (FIPS 180-4) for `Sec-WebSocket-Accept`, synchronous everywhere: the host may plug in
 * a native digest (node:crypto) through {@link setSha1}; otherwise a pure TypeScript one runs.
 * The inputs are tiny (60 bytes), so the fallback costs microseconds.
 */

/** A synchronous SHA-1: bytes in, the 20-byte digest out. */
export type Sha1Function = (data: Uint8Array) => Uint8Array;

let hostSha1: Sha1Function | null = null;

/**
 * Installs the host's SHA-1 (e.g. `(d) => createHash('sha1').update(d).digest()` from
 * node:crypto), or restores the portable implementation with null.
 */
export function setSha1(fn: Sha1Function | null): void {
  hostSha1 = fn;
}

/** SHA-1 of `data` through the host implementation when set, else {@link sha1Portable}. */
export function sha1(data: Uint8Array): Uint8Array {
  return hostSha1 === null ? sha1Portable(data) : hostSha1(data);
}

// The message schedule is reused between calls: SHA-1 here is synchronous and never re-entered.
const W = new Int32Array(80);

/** The pure TypeScript SHA-1 (used when no host digest is set). */
export function sha1Portable(data: Uint8Array): Uint8Array {
  const len = data.length;
  // message + 0x80 + zero padding + 64-bit big-endian bit length, a multiple of 64 bytes
  const total = (((len + 8) >>> 6) + 1) << 6;
  const buf = new Uint8Array(total);
  buf.set(data);
  buf[len] = 0x80;
  const hiBits = Math.floor(len / 0x20000000);
  const loBits = (len << 3) >>> 0;
  buf[total - 8] = hiBits >>> 24;
  buf[total - 7] = hiBits >>> 16;
  buf[total - 6] = hiBits >>> 8;
  buf[total - 5] = hiBits;
  buf[total - 4] = loBits >>> 24;
  buf[total - 3] = loBits >>> 16;
  buf[total - 2] = loBits >>> 8;
  buf[total - 1] = loBits;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const w = W;
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) {
      const o = off + t * 4;
      w[t] = (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
    }
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      if (t < 20) f = ((b & c) | (~b & d)) + 0x5a827999;
      else if (t < 40) f = (b ^ c ^ d) + 0x6ed9eba1;
      else if (t < 60) f = ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc;
      else f = (b ^ c ^ d) + 0xca62c1d6;
      const tmp = (((a << 5) | (a >>> 27)) + f + e + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = tmp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out = new Uint8Array(20);
  const hs = [h0, h1, h2, h3, h4];
  for (let i = 0; i < 5; i++) {
    const v = hs[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
  return out;
}
