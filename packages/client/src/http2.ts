/**
 * RFC 8441 bootstrapping: a WebSocket as an HTTP/2 extended CONNECT stream. Sessions this
 * module opens are pooled per origin (and TLS options) and shared by every WebSocket to that
 * origin; a session given by the caller is used as is and never closed here.
 */

import * as http2 from 'node:http2';
import { allowsExtendedConnect, type ClientHandshake } from '@strata-ws/handshake';
import { connectHost, resolveProxy, type SocketTracker } from './connect.js';
import type { NormalizedOptions } from './options.js';
import type { ClientUrl } from './url.js';

/** An extended CONNECT stream and the server's answer. */
export interface OpenedHttp2Stream {
  stream: http2.ClientHttp2Stream;
  handshake: ClientHandshake;
  status: number;
  headers: http2.IncomingHttpHeaders;
  /** Drops this WebSocket's hold on the session (a pooled session closes when unused). */
  release: () => void;
}

interface PoolEntry {
  session: http2.ClientHttp2Session;
  refs: number;
  settings: Promise<void>;
}

const pool = new Map<string, PoolEntry>();
const tlsIds = new WeakMap<object, number>();
let nextTlsId = 1;

/** How long to wait for a caller's session to announce its settings before falling back. */
const SETTINGS_GRACE_MS = 1000;

function poolKey(url: ClientUrl, options: NormalizedOptions): string {
  let id = tlsIds.get(options.tls);
  if (id === undefined) {
    // Options objects with no TLS settings share sessions; others get a session per object.
    id = Object.keys(options.tls).length === 0 ? 0 : nextTlsId++;
    tlsIds.set(options.tls, id);
  }
  return `${url.secure ? 'https' : 'http'}://${url.hostname}:${url.port}#${id}`;
}

function firstSettings(session: http2.ClientHttp2Session, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    const done = (): void => {
      session.off('remoteSettings', done);
      session.off('close', done);
      session.off('error', done);
      if (timer !== null) clearTimeout(timer);
      resolve();
    };
    session.on('remoteSettings', done);
    session.on('close', done);
    session.on('error', done);
    if (graceMs > 0) {
      timer = setTimeout(done, graceMs);
      timer.unref();
    }
  });
}

function acquire(url: ClientUrl, options: NormalizedOptions): PoolEntry {
  const key = poolKey(url, options);
  const existing = pool.get(key);
  if (existing !== undefined && !existing.session.closed && !existing.session.destroyed) {
    existing.refs++;
    return existing;
  }
  const host = connectHost(url.hostname);
  const authority = `${url.secure ? 'https' : 'http'}://${url.hostname}:${url.port}`;
  const session = http2.connect(authority, {
    ...options.tls,
    host,
    port: url.port,
    ...(url.secure ? { ALPNProtocols: ['h2'] } : {}),
  });
  const entry: PoolEntry = { session, refs: 1, settings: firstSettings(session, 0) };
  session.on('error', () => {});
  session.on('close', () => {
    if (pool.get(key) === entry) pool.delete(key);
  });
  pool.set(key, entry);
  return entry;
}

function headerObject(handshake: ClientHandshake): http2.OutgoingHttpHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of handshake.headers) {
    const existing = out[name];
    out[name] = existing === undefined ? value : `${existing}, ${value}`;
  }
  return out;
}

function waitResponse(stream: http2.ClientHttp2Stream): Promise<http2.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('response', onResponse);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onResponse = (headers: http2.IncomingHttpHeaders): void => {
      cleanup();
      stream.pause();
      resolve(headers);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('The HTTP/2 stream closed before a response'));
    };
    stream.on('response', onResponse);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * Opens the WebSocket as an RFC 8441 stream, or resolves with null when HTTP/2 cannot be used
 * (a proxy is configured, the server is not HTTP/2 or does not enable extended CONNECT): the
 * caller then falls back to an HTTP/1.1 upgrade.
 */
export async function openHttp2Stream(
  url: ClientUrl,
  options: NormalizedOptions,
  makeHandshake: () => ClientHandshake,
  tracker: SocketTracker,
  aborted: () => boolean,
): Promise<OpenedHttp2Stream | null> {
  let session: http2.ClientHttp2Session;
  let release: () => void;
  if (typeof options.http2 === 'object') {
    session = options.http2;
    release = () => {};
    if (!allowsExtendedConnect(session.remoteSettings)) {
      await firstSettings(session, SETTINGS_GRACE_MS);
    }
  } else {
    if (resolveProxy(url, options) !== null) return null;
    const entry = acquire(url, options);
    session = entry.session;
    let released = false;
    release = () => {
      if (released) return;
      released = true;
      entry.refs--;
      if (entry.refs === 0) {
        if (pool.get(poolKey(url, options)) === entry) pool.delete(poolKey(url, options));
        entry.session.close();
      }
    };
    await entry.settings;
  }
  if (
    aborted() ||
    session.closed ||
    session.destroyed ||
    !allowsExtendedConnect(session.remoteSettings)
  ) {
    release();
    return null;
  }
  const handshake = makeHandshake();
  let stream: http2.ClientHttp2Stream;
  try {
    stream = session.request(headerObject(handshake), { endStream: false });
  } catch (error) {
    release();
    throw error;
  }
  tracker.track(stream);
  try {
    const headers = await waitResponse(stream);
    return { stream, handshake, status: Number(headers[':status']), headers, release };
  } catch (error) {
    release();
    throw error;
  }
}
