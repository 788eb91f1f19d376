/**
 * The four parameters of RFC 7692 §7.1 and their grammar, shared by the server and client
 * negotiators. Portable: no host APIs.
 */

/** The extension token (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/**
 * One extension parameter as the handshake hands it over: `name` lower-cased, `value` unquoted,
 * `null` when the parameter had no value. Structurally the same as `@strata-ws/handshake`'s
 * `ExtensionParam`, so the negotiators plug into it without this package importing it.
 */
export interface DeflateParam {
  /** Parameter name, lower case. */
  readonly name: string;
  /** Unquoted value, or `null` when the parameter had none. */
  readonly value: string | null;
}

/** The parameters of one offer or one response element, in the order they appeared. */
export type DeflateParams = readonly DeflateParam[];

/**
 * What both sides agreed on for one connection: RFC 7692's four parameters with their
 * defaults filled in (no context takeover = false, window bits = 15), plus the local role.
 * Built by the negotiators; consumed by the engine (`@strata-ws/permessage-deflate/node`).
 */
export interface DeflateAgreement {
  /** Which side this connection is: selects which parameters govern outgoing data. */
  readonly role: 'client' | 'server';
  /** The server resets its compression context after every message. */
  readonly serverNoContextTakeover: boolean;
  /** The client resets its compression context after every message. */
  readonly clientNoContextTakeover: boolean;
  /** Largest LZ77 window (base-2 logarithm, 8..15) the server compresses with. */
  readonly serverMaxWindowBits: number;
  /** Largest LZ77 window (base-2 logarithm, 8..15) the client compresses with. */
  readonly clientMaxWindowBits: number;
}

/** Parameters of one offer or response after the grammar check. @internal */
export interface ParsedParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** null when absent. */
  serverMaxWindowBits: number | null;
  /** null when absent, true when present without a value (offers only). */
  clientMaxWindowBits: number | true | null;
}

const SERVER_NO_CONTEXT_TAKEOVER = 'server_no_context_takeover';
const CLIENT_NO_CONTEXT_TAKEOVER = 'client_no_context_takeover';
const SERVER_MAX_WINDOW_BITS = 'server_max_window_bits';
const CLIENT_MAX_WINDOW_BITS = 'client_max_window_bits';

/**
 * Reads a window-bits value: a decimal integer 8..15 without leading zeros (RFC 7692 §7.1.2).
 * @returns the number, or -1 when the value is not one of the ten allowed strings
 */
export function parseWindowBits(value: string): number {
  if (value.length === 1) {
    const c = value.charCodeAt(0);
    return c === 0x38 || c === 0x39 ? c - 0x30 : -1;
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const d = value.charCodeAt(1) - 0x30;
    return d >= 0 && d <= 5 ? 10 + d : -1;
  }
  return -1;
}

/**
 * Checks one parameter list against RFC 7692 §7.1: known names only, each at most once,
 * the no-context-takeover flags without a value, window bits 8..15 (a value is required
 * for `server_max_window_bits` everywhere and for `client_max_window_bits` in a response).
 * @returns the parsed parameters, or a string saying what is wrong
 * @internal
 */
export function parseParams(params: DeflateParams, isResponse: boolean): ParsedParams | string {
  const out: ParsedParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: null,
    clientMaxWindowBits: null,
  };
  let seen = 0;
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as DeflateParam;
    const name = p.name.toLowerCase();
    let bit: number;
    switch (name) {
      case SERVER_NO_CONTEXT_TAKEOVER:
      case CLIENT_NO_CONTEXT_TAKEOVER:
        bit = name === SERVER_NO_CONTEXT_TAKEOVER ? 1 : 2;
        if (p.value !== null) return `${name} must not have a value`;
        if (bit === 1) out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case SERVER_MAX_WINDOW_BITS: {
        bit = 4;
        if (p.value === null) return `${name} needs a value`;
        const bits = parseWindowBits(p.value);
        if (bits < 0) return `invalid ${name} value ${JSON.stringify(p.value)} (8..15)`;
        out.serverMaxWindowBits = bits;
        break;
      }
      case CLIENT_MAX_WINDOW_BITS: {
        bit = 8;
        if (p.value === null) {
          if (isResponse) return `${name} needs a value in a response`;
          out.clientMaxWindowBits = true;
        } else {
          const bits = parseWindowBits(p.value);
          if (bits < 0) return `invalid ${name} value ${JSON.stringify(p.value)} (8..15)`;
          out.clientMaxWindowBits = bits;
        }
        break;
      }
      default:
        return `unknown parameter ${JSON.stringify(p.name)}`;
    }
    if ((seen & bit) !== 0) return `duplicate parameter ${name}`;
    seen |= bit;
  }
  return out;
}

/** Builds a parameter list in the canonical order (RFC 7692 §7.1 order). @internal */
export function formatParams(
  serverNoContextTakeover: boolean,
  clientNoContextTakeover: boolean,
  serverMaxWindowBits: number | null,
  clientMaxWindowBits: number | true | null,
): DeflateParam[] {
  const out: DeflateParam[] = [];
  if (serverNoContextTakeover) out.push({ name: SERVER_NO_CONTEXT_TAKEOVER, value: null });
  if (clientNoContextTakeover) out.push({ name: CLIENT_NO_CONTEXT_TAKEOVER, value: null });
  if (serverMaxWindowBits !== null) {
    out.push({ name: SERVER_MAX_WINDOW_BITS, value: String(serverMaxWindowBits) });
  }
  if (clientMaxWindowBits !== null) {
    out.push({
      name: CLIENT_MAX_WINDOW_BITS,
      value: clientMaxWindowBits === true ? null : String(clientMaxWindowBits),
    });
  }
  return out;
}

/** Throws a RangeError unless `bits` is an integer in [min, 15]. @internal */
export function checkWindowBitsOption(name: string, bits: number, min: number): void {
  if (!Number.isInteger(bits) || bits < min || bits > 15) {
    throw new RangeError(`${name} must be an integer from ${min} to 15, got ${String(bits)}`);
  }
}
