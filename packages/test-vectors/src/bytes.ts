/** Byte helpers for writing vectors readably. */

/**
 * Bytes from hexadecimal text; spaces, newlines and `0x` prefixes are ignored, so vectors can
 * be copied from RFC figures (`'0x81 0x05 0x48'`) or written compactly (`'810548'`).
 * @throws TypeError for an odd number of digits or a character that is not a hex digit.
 */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/0x/gi, '').replace(/[\s,]/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) {
    throw new TypeError(`invalid hex text: ${text}`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/** Lower-case hexadecimal text of `bytes`, without separators. */
export function toHex(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += bytes[i]!.toString(16).padStart(2, '0');
  return text;
}

/** One new array holding `parts` one after another. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `length` bytes counting up from `seed` modulo 256: recognisable, non-constant payloads. */
export function patternBytes(length: number, seed = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i) & 0xff;
  return out;
}

/** ASCII text as bytes (vectors only use ASCII here, so no `TextEncoder` is needed). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new TypeError('ascii() takes ASCII text only');
    out[i] = c;
  }
  return out;
}
