/**
 * Portable base64 (RFC 4648 §4) over Uint8Array: no `atob`/`btoa`, no Buffer, strict decoding.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[v >>> 18]! +
      ALPHABET[(v >>> 12) & 63]! +
      ALPHABET[(v >>> 6) & 63]! +
      ALPHABET[v & 63]!;
  }
  if (i + 1 === n) {
    const v = bytes[i]! << 16;
    out += `${ALPHABET[v >>> 18]!}${ALPHABET[(v >>> 12) & 63]!}==`;
  } else if (i + 2 === n) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[v >>> 18]!}${ALPHABET[(v >>> 12) & 63]!}${ALPHABET[(v >>> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Decodes padded base64 strictly: length a multiple of 4, only the RFC 4648 alphabet, padding
 * only at the end. Non-zero bits in the last character's unused low bits are tolerated, as most
 * decoders do (RFC 4648 §3.5 lets decoders choose).
 * @returns the bytes, or null when `text` is not valid base64
 */
export function decodeBase64(text: string): Uint8Array | null {
  const n = text.length;
  if (n % 4 !== 0) return null;
  if (n === 0) return new Uint8Array(0);
  let pad = 0;
  if (text.charCodeAt(n - 1) === 0x3d) pad = text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const last = i + 4 === n;
    const q = last ? 4 - pad : 4;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      let d = 0;
      if (k < q) {
        const c = text.charCodeAt(i + k);
        d = c < 128 ? DECODE[c]! : -1;
        if (d < 0) return null;
      }
      v = (v << 6) | d;
    }
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}
