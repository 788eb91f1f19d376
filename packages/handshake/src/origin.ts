/**
 * Origin policy (RFC 6455 §10.2): a browser always sends `Origin`; a server that only wants its
 * own pages to connect checks it against an allow-list and answers 403 otherwise.
 */

/** Options of {@link createOriginPolicy}. */
export interface OriginPolicyOptions {
  /**
   * Whether a request without `Origin` passes. Non-browser clients usually send none and are
   * not the threat an origin check guards against (cross-site pages are), so the default is true.
   */
  allowMissing?: boolean;
}

/** A predicate over the `Origin` header value (undefined when absent). */
export type OriginPolicy = (origin: string | undefined) => boolean;

interface Pattern {
  scheme: string;
  host: string;
  wildcard: boolean;
  port: string;
}

function splitOrigin(origin: string): Pattern | null {
  const sep = origin.indexOf('://');
  if (sep <= 0) return null;
  const scheme = origin.slice(0, sep).toLowerCase();
  let rest = origin.slice(sep + 3).toLowerCase();
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest.length === 0 || rest.includes('/') || rest.includes('@')) return null;
  let host = rest;
  let port = '';
  // a port follows the last ':' unless it is inside an IPv6 literal
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf(']')) {
    host = rest.slice(0, colon);
    port = rest.slice(colon + 1);
  }
  const defaultPort =
    scheme === 'https' || scheme === 'wss'
      ? '443'
      : scheme === 'http' || scheme === 'ws'
        ? '80'
        : '';
  if (port === defaultPort) port = '';
  let wildcard = false;
  if (host.startsWith('*.')) {
    wildcard = true;
    host = host.slice(2);
  }
  if (host.length === 0) return null;
  return { scheme, host, wildcard, port };
}

/**
 * Builds an origin check from an allow-list. Entries are serialized origins
 * (`https://app.example`, `http://localhost:8080`), compared case-insensitively with default
 * ports ignored; `https://*.example.com` allows every subdomain of example.com (not the apex);
 * `"null"` allows the opaque origin `null`; `"*"` allows everything.
 * @throws TypeError for an entry that is not an origin
 */
export function createOriginPolicy(
  allowed: readonly string[],
  options?: OriginPolicyOptions,
): OriginPolicy {
  const allowMissing = options?.allowMissing ?? true;
  let any = false;
  let allowNull = false;
  const patterns: Pattern[] = [];
  for (const entry of allowed) {
    if (entry === '*') any = true;
    else if (entry === 'null') allowNull = true;
    else {
      const p = splitOrigin(entry);
      if (p === null) throw new TypeError(`Not an origin: ${JSON.stringify(entry)}`);
      patterns.push(p);
    }
  }
  return (origin) => {
    if (origin === undefined || origin === '') return allowMissing;
    if (any) return true;
    if (origin === 'null') return allowNull;
    const o = splitOrigin(origin);
    if (o === null || o.wildcard) return false;
    for (const p of patterns) {
      if (p.scheme !== o.scheme || p.port !== o.port) continue;
      if (p.wildcard ? o.host.endsWith(`.${p.host}`) : o.host === p.host) return true;
    }
    return false;
  };
}
