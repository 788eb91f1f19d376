// Host globals the tests use as independent references. Declared here (not through a lib or
// @types/node) so the portable sources cannot start using them by accident.
declare const TextDecoder: new (
  label: string,
  options?: { fatal?: boolean },
) => { decode(bytes: Uint8Array): string };
declare const TextEncoder: new () => { encode(text: string): Uint8Array };

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** WHATWG UTF-8 decoding with `fatal`: the reference validator. */
export function referenceIsUtf8(bytes: Uint8Array): boolean {
  try {
    fatalDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function decodeUtf8(bytes: Uint8Array): string {
  return fatalDecoder.decode(bytes);
}

/**
 * Byte-wise equality without the deep-equality machinery of `expect`, which is slow on large
 * typed arrays inside loops and properties.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Fails with a readable message unless `actual` equals `expected` byte for byte. */
export function assertBytes(
  actual: Uint8Array | undefined,
  expected: Uint8Array,
  what = 'bytes',
): void {
  if (actual === undefined || !equalBytes(actual, expected)) {
    const show = (b: Uint8Array | undefined) =>
      b === undefined
        ? 'undefined'
        : `${b.length} bytes ${Array.from(b.subarray(0, 24), (x) => x.toString(16).padStart(2, '0')).join('')}…`;
    throw new Error(`${what} differ: got ${show(actual)}, expected ${show(expected)}`);
  }
}
