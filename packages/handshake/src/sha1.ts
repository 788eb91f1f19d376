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

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** The pure TypeScript SHA-1 (used when no host digest is set). */
export function sha1Portable(data: Uint8Array): Uint8Array {
  const len = data.length;
  // message + 0x80 + zero padding + 64-bit big-endian bit length, a multiple of 64 bytes
  const total = (((len + 8) >>> 6) + 1) << 6;
  const buf = new Uint8Array(total);
  buf.set(data);
  buf[len] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(total - 8, Math.floor(len / 0x20000000), false);
  view.setUint32(total - 4, (len << 3) >>> 0, false);

  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Int32Array(80);
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(off + t * 4, false);
    for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const tmp = (rotl(a, 5) + f + e + k + w[t]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
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
  const ov = new DataView(out.buffer);
  ov.setInt32(0, h0, false);
  ov.setInt32(4, h1, false);
  ov.setInt32(8, h2, false);
  ov.setInt32(12, h3, false);
  ov.setInt32(16, h4, false);
  return out;
}
