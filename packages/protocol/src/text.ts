/**
 * UTF-8 text through the host's `TextEncoder` / `TextDecoder` (every runtime Strata targets
 * has them: Node, Bun, Deno, browsers, Workers). Declared here because the portable
 * packages compile without DOM or Node typings.
 * @internal
 */

interface HostTextEncoder {
  encode(input: string): Uint8Array;
  encodeInto(input: string, target: Uint8Array): { read: number; written: number };
}

interface HostTextDecoder {
  decode(input: Uint8Array): string;
}

declare const TextEncoder: new () => HostTextEncoder;
declare const TextDecoder: new () => HostTextDecoder;

const encoder = new TextEncoder();
let decoder: HostTextDecoder | null = null;

/** Encodes `text` as UTF-8 (lone surrogates become U+FFFD). */
export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Encodes `text` as UTF-8 into `target` and returns the bytes written. The caller gives
 * room for all of it (3 bytes per UTF-16 unit).
 */
export function encodeTextInto(text: string, target: Uint8Array): number {
  return encoder.encodeInto(text, target).written;
}

/** Decodes UTF-8 (invalid sequences become U+FFFD). */
export function decodeText(bytes: Uint8Array): string {
  decoder ??= new TextDecoder();
  return decoder.decode(bytes);
}
