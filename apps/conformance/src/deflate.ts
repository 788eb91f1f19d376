/**
 * The fuzzer's side of permessage-deflate (RFC 7692) on node:zlib: its own parameter parser,
 * offer/response formatting, and message compression and decompression that honour the agreed
 * context takeover and window sizes — so a peer that ignores them fails to decompress here.
 */
import zlib from 'node:zlib';
import type { DeflateParams } from './cases/types.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** One extension of a `Sec-WebSocket-Extensions` value: name and parameters (lower case). */
export interface ParsedExtension {
  name: string;
  params: [string, string | null][];
}

/** Splits a `Sec-WebSocket-Extensions` value (no quoted commas expected from the peers here). */
export function parseExtensions(value: string): ParsedExtension[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name = '', ...params] = part.split(';').map((p) => p.trim());
      return {
        name: name.toLowerCase(),
        params: params.filter(Boolean).map((p) => {
          const eq = p.indexOf('=');
          if (eq < 0) return [p.toLowerCase(), null] as [string, string | null];
          return [
            p.slice(0, eq).trim().toLowerCase(),
            p
              .slice(eq + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1'),
          ];
        }),
      };
    });
}

/** The offer (fuzzer as client) or response (fuzzer as server) for these parameters. */
export function formatDeflate(params: DeflateParams, offerClientBits = true): string {
  const parts = ['permessage-deflate'];
  if (params.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (params.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (params.serverMaxWindowBits)
    parts.push(`server_max_window_bits=${params.serverMaxWindowBits}`);
  if (params.clientMaxWindowBits)
    parts.push(`client_max_window_bits=${params.clientMaxWindowBits}`);
  else if (offerClientBits) parts.push('client_max_window_bits');
  return parts.join('; ');
}

/** The agreement a permessage-deflate response states; a string is why it is not acceptable. */
export function agreementOf(ext: ParsedExtension): Required<DeflateParams> | string {
  const out = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const seen = new Set<string>();
  for (const [name, value] of ext.params) {
    if (seen.has(name)) return `parameter ${name} repeated`;
    seen.add(name);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== null) return `${name} with a value`;
      if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
      else out.clientNoContextTakeover = true;
    } else if (name === 'server_max_window_bits' || name === 'client_max_window_bits') {
      if (value === null || !/^(8|9|1[0-5])$/.test(value)) return `${name}=${value}`;
      if (name === 'server_max_window_bits') out.serverMaxWindowBits = Number(value);
      else out.clientMaxWindowBits = Number(value);
    } else return `unknown parameter ${name}`;
  }
  return out;
}

type Stream = zlib.DeflateRaw | zlib.InflateRaw;

function run(stream: Stream, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onError = (error: Error) => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** One connection's compression state, seen from the fuzzer's role. */
export class FuzzDeflate {
  private deflater: zlib.DeflateRaw | null = null;
  private inflater: zlib.InflateRaw | null = null;
  private readonly ownBits: number;
  private readonly peerBits: number;
  private readonly ownReset: boolean;
  private readonly peerReset: boolean;

  constructor(role: 'client' | 'server', agreement: Required<DeflateParams>) {
    const client = role === 'client';
    // zlib's raw deflate cannot use an 8-bit window; 9 is the smallest it writes.
    this.ownBits = Math.max(
      9,
      client ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
    );
    this.peerBits = client ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits;
    this.ownReset = client ? agreement.clientNoContextTakeover : agreement.serverNoContextTakeover;
    this.peerReset = client ? agreement.serverNoContextTakeover : agreement.clientNoContextTakeover;
  }

  /** Compresses one message (the trailing 00 00 ff ff removed). */
  async compress(data: Buffer): Promise<Buffer> {
    if (!this.deflater || this.ownReset) {
      this.deflater?.close();
      this.deflater = zlib.createDeflateRaw({ windowBits: this.ownBits, memLevel: 8 });
    }
    const out = await run(this.deflater, data);
    return out.subarray(0, out.length - 4);
  }

  /**
   * Decompresses one message with the peer's agreed window and context rules; throws when the
   * peer's data does not fit them.
   */
  async decompress(data: Buffer): Promise<Buffer> {
    if (!this.inflater || this.peerReset) {
      this.inflater?.close();
      this.inflater = zlib.createInflateRaw({ windowBits: Math.max(8, this.peerBits) });
    }
    return run(this.inflater, Buffer.concat([data, TAIL]));
  }

  /** Frees the zlib streams. */
  close(): void {
    this.deflater?.close();
    this.inflater?.close();
  }
}
