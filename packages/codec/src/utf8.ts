/**
 * UTF-8 validation (RFC 3629 §4, as RFC 6455 §8.1 requires for text messages and close
 * reasons): overlong forms, UTF-16 surrogates (U+D800–U+DFFF), code points over U+10FFFF and
 * truncated sequences are invalid.
 */

/** A host UTF-8 validator, e.g. Node's `buffer.isUtf8`. */
export type Utf8ValidatorFunction = (bytes: Uint8Array) => boolean;

let hostValidator: Utf8ValidatorFunction | null = null;

/**
 * Below this length the JavaScript loop answers before a host call would return (measured
 * with `apps/bench/src/codec-utf8.js`).
 */
const HOST_MIN_LENGTH = 32;

/**
 * Installs a host UTF-8 validator (such as Node's `buffer.isUtf8`) used by
 * {@link isValidUtf8} and {@link Utf8Validator} for all but very short inputs; `null`
 * restores the pure JavaScript validator. The host function must implement RFC 3629 exactly.
 */
export function setUtf8Validator(fn: Utf8ValidatorFunction | null): void {
  hostValidator = fn;
}

/** Whether `bytes` is complete, well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  if (hostValidator !== null && bytes.length >= HOST_MIN_LENGTH) return hostValidator(bytes);
  return validateRange(bytes, 0, bytes.length);
}

/** Validates `bytes[start..end)` (complete sequences only), through the host when set. */
function validate(bytes: Uint8Array, start: number, end: number): boolean {
  if (hostValidator !== null && end - start >= HOST_MIN_LENGTH) {
    return hostValidator(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  }
  return validateRange(bytes, start, end);
}

/** The pure JavaScript validator over `bytes[start..end)`. */
function validateRange(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  const end4 = end - 3;
  while (i < end) {
    // ASCII runs, four bytes per test.
    while (i < end4 && ((bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]!) & 0x80) === 0) {
      i += 4;
    }
    if (i >= end) break;
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
    } else if (b < 0xc2) {
      // A continuation byte without a lead, or the overlong leads C0 and C1.
      return false;
    } else if (b < 0xe0) {
      if (i + 1 >= end || (bytes[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (b < 0xf0) {
      if (i + 2 >= end) return false;
      const c1 = bytes[i + 1]!;
      // E0 needs A0–BF (no overlongs); ED needs 80–9F (no surrogates).
      if (
        b === 0xe0
          ? c1 < 0xa0 || c1 > 0xbf
          : b === 0xed
            ? c1 < 0x80 || c1 > 0x9f
            : (c1 & 0xc0) !== 0x80
      ) {
        return false;
      }
      if ((bytes[i + 2]! & 0xc0) !== 0x80) return false;
      i += 3;
    } else if (b < 0xf5) {
      if (i + 3 >= end) return false;
      const c1 = bytes[i + 1]!;
      // F0 needs 90–BF (no overlongs); F4 needs 80–8F (nothing over U+10FFFF).
      if (
        b === 0xf0
          ? c1 < 0x90 || c1 > 0xbf
          : b === 0xf4
            ? c1 < 0x80 || c1 > 0x8f
            : (c1 & 0xc0) !== 0x80
      ) {
        return false;
      }
      if ((bytes[i + 2]! & 0xc0) !== 0x80 || (bytes[i + 3]! & 0xc0) !== 0x80) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Validates UTF-8 that arrives in pieces (the fragments of a text message), failing fast:
 * `push` returns `false` for the piece holding the first invalid byte, even when the
 * sequence it belongs to started in an earlier piece, and `false` for every piece after.
 */
export class Utf8Validator {
  /** Continuation bytes still expected by the sequence in progress. */
  #need = 0;
  /** Allowed range of the next continuation byte. */
  #lower = 0x80;
  #upper = 0xbf;
  #failed = false;

  /**
   * Validates the next piece. `final` marks the end of the text: a sequence still open then
   * is invalid. Returns `false` once anything invalid was seen (until {@link reset}).
   */
  push(bytes: Uint8Array, final: boolean): boolean {
    if (this.#failed) return false;
    const length = bytes.length;
    let i = 0;
    // Finish the sequence an earlier piece started.
    while (this.#need !== 0 && i < length) {
      const b = bytes[i]!;
      if (b < this.#lower || b > this.#upper) return this.#fail();
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#need--;
      i++;
    }
    if (this.#need !== 0) return final ? this.#fail() : true;
    // Split off a sequence left open at the end of this piece.
    let split = length;
    for (let k = 1; k <= 3 && length - k >= i; k++) {
      const b = bytes[length - k]!;
      if (b < 0x80) break;
      if (b >= 0xc0) {
        if ((b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) > k) split = length - k;
        break;
      }
    }
    if (i < split && !validate(bytes, i, split)) return this.#fail();
    if (split < length) {
      if (!this.#start(bytes[split]!)) return this.#fail();
      for (let j = split + 1; j < length; j++) {
        const b = bytes[j]!;
        if (b < this.#lower || b > this.#upper) return this.#fail();
        this.#lower = 0x80;
        this.#upper = 0xbf;
        this.#need--;
      }
      if (final) return this.#fail();
    }
    return true;
  }

  /** Forgets all state: ready for the next text. */
  reset(): void {
    this.#need = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
    this.#failed = false;
  }

  /** Opens a sequence with lead byte `b`; false for a byte that cannot lead one. */
  #start(b: number): boolean {
    if (b >= 0xc2 && b <= 0xdf) {
      this.#need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      this.#need = 2;
      if (b === 0xe0) this.#lower = 0xa0;
      else if (b === 0xed) this.#upper = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.#need = 3;
      if (b === 0xf0) this.#lower = 0x90;
      else if (b === 0xf4) this.#upper = 0x8f;
    } else {
      return false;
    }
    return true;
  }

  #fail(): false {
    this.#failed = true;
    this.#need = 0;
    return false;
  }
}

/**
 * Encodes a string as UTF-8 (lone surrogates become U+FFFD, as `TextEncoder` does). For the
 * short strings of close reasons; portable without `TextEncoder` typings.
 * @internal
 */
export function encodeUtf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >>> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >>> 18);
        out[o++] = 0x80 | ((c >>> 12) & 0x3f);
        out[o++] = 0x80 | ((c >>> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[o++] = 0xe0 | (c >>> 12);
    out[o++] = 0x80 | ((c >>> 6) & 0x3f);
    out[o++] = 0x80 | (c & 0x3f);
  }
  return out.subarray(0, o);
}

/**
 * Decodes UTF-8 that was validated already (close reasons).
 * @internal
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    let c: number;
    if (b < 0x80) {
      c = b;
      i += 1;
    } else if (b < 0xe0) {
      c = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      i += 2;
    } else if (b < 0xf0) {
      c = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      i += 3;
    } else {
      c =
        ((b & 0x07) << 18) |
        ((bytes[i + 1]! & 0x3f) << 12) |
        ((bytes[i + 2]! & 0x3f) << 6) |
        (bytes[i + 3]! & 0x3f);
      i += 4;
    }
    text += String.fromCodePoint(c);
  }
  return text;
}
