/**
 * Opening the byte stream a WebSocket runs on: TCP or TLS, directly or through an HTTP(S)
 * proxy tunnel (`CONNECT`), and the incremental read of an HTTP response head.
 *
 * Every socket created is handed to `tracker.track` at once, so that the session can destroy it (an
 * abort, a timeout) and observe its errors at any stage.
 */

import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import {
  type HeadParseResult,
  type HttpResponseHead,
  ResponseHeadParser,
} from '@strata-ws/handshake';
import type { NormalizedOptions, ProxyOptions } from './options.js';
import { normalizeHeaders } from './options.js';
import type { ClientUrl } from './url.js';

/** Takes charge of each socket made while connecting (the session: its errors, its close). */
export interface SocketTracker {
  track(socket: Duplex): void;
}

/** A host name as `net.connect` wants it: IPv6 literals without brackets. */
export function connectHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The TLS server name for SNI: none for IP literals (RFC 6066 §3). */
function serverName(hostname: string): string | undefined {
  const host = connectHost(hostname);
  return net.isIP(host) === 0 ? host : undefined;
}

/** A connection failure that is not the server's fault as far as the protocol goes. */
export class ConnectError extends Error {
  /** @param message - what failed */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectError';
  }
}

/**
 * Reads one HTTP response head from `socket`. On success the socket is paused with nothing
 * consumed beyond the head: the bytes after it come back as `rest`.
 */
export function readResponseHead(
  socket: Duplex,
  maxHeaderBytes: number,
): Promise<HeadParseResult<HttpResponseHead>> {
  return new Promise((resolve, reject) => {
    const parser = new ResponseHeadParser({ maxHeaderBytes });
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      let result: HeadParseResult<HttpResponseHead> | null;
      try {
        result = parser.push(chunk);
      } catch (error) {
        cleanup();
        reject(error);
        return;
      }
      if (result !== null) {
        cleanup();
        socket.pause();
        resolve(result);
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new ConnectError('The connection closed before a complete response head arrived'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
  });
}

function waitConnected(socket: net.Socket | tls.TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off(event, onConnect);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new ConnectError('The connection closed while connecting'));
    };
    socket.on(event, onConnect);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

function matchesNoProxy(hostname: string, port: number, noProxy: string): boolean {
  const host = connectHost(hostname).toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort = 0;
    const portMatch = /^(.*):(\d+)$/.exec(entry);
    if (portMatch !== null && !entry.endsWith(']') && net.isIPv6(entry) === false) {
      entry = portMatch[1]!;
      entryPort = Number(portMatch[2]);
    }
    entry = connectHost(entry);
    if (entryPort !== 0 && entryPort !== port) continue;
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) {
      if (host.endsWith(entry) || host === entry.slice(1)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) {
      return true;
    }
  }
  return false;
}

/**
 * The proxy to use for `url`: the explicit option, else (when `proxyFromEnvironment`)
 * `https_proxy`/`HTTPS_PROXY` for wss:, `http_proxy`/`HTTP_PROXY` for ws:, then
 * `all_proxy`/`ALL_PROXY`, unless `no_proxy`/`NO_PROXY` matches the host.
 */
export function resolveProxy(
  url: ClientUrl,
  options: NormalizedOptions,
  env: NodeJS.ProcessEnv = process.env,
): ProxyOptions | null {
  if (options.proxy !== null) return options.proxy;
  if (!options.proxyFromEnvironment) return null;
  const pick = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  };
  const value = url.secure
    ? pick('https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY')
    : pick('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY');
  if (value === undefined) return null;
  const noProxy = pick('no_proxy', 'NO_PROXY');
  if (noProxy !== undefined && matchesNoProxy(url.hostname, url.port, noProxy)) return null;
  return { url: value.includes('://') ? value : `http://${value}` };
}

async function openTunnel(
  url: ClientUrl,
  proxy: ProxyOptions,
  options: NormalizedOptions,
  tracker: SocketTracker,
): Promise<{ socket: net.Socket; rest: Uint8Array }> {
  let proxyUrl: URL;
  try {
    proxyUrl = new URL(String(proxy.url));
  } catch (cause) {
    throw new ConnectError(`Invalid proxy URL ${JSON.stringify(String(proxy.url))}`, { cause });
  }
  if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
    throw new ConnectError(`Unsupported proxy scheme ${proxyUrl.protocol}`);
  }
  const secureProxy = proxyUrl.protocol === 'https:';
  const host = connectHost(proxyUrl.hostname);
  const port = proxyUrl.port === '' ? (secureProxy ? 443 : 80) : Number(proxyUrl.port);
  let socket: net.Socket;
  if (secureProxy) {
    const s = tls.connect({
      ...proxy.tls,
      host,
      port,
      servername: serverName(proxyUrl.hostname),
      ALPNProtocols: ['http/1.1'],
    });
    tracker.track(s);
    await waitConnected(s, 'secureConnect');
    socket = s;
  } else {
    const s = net.connect({ host, port });
    tracker.track(s);
    await waitConnected(s, 'connect');
    socket = s;
  }
  socket.setNoDelay(true);
  const authority = `${url.hostname}:${url.port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxyUrl.username !== '' || proxyUrl.password !== '') {
    const user = decodeURIComponent(proxyUrl.username);
    const pass = decodeURIComponent(proxyUrl.password);
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`);
  }
  for (const [name, value] of normalizeHeaders(proxy.headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const { head, rest } = await readResponseHead(socket, options.maxResponseHeadSize);
  if (head.status < 200 || head.status > 299) {
    throw new ConnectError(`The proxy refused the tunnel: ${head.status} ${head.statusText}`);
  }
  return { socket, rest };
}

/**
 * Opens the stream for an HTTP/1.1 upgrade to `url`: TCP or TLS, through the proxy if any.
 * Resolves once the stream is connected (TLS handshake done); the socket is flowing-paused.
 */
export async function openSocket(
  url: ClientUrl,
  options: NormalizedOptions,
  tracker: SocketTracker,
): Promise<net.Socket> {
  const proxy = resolveProxy(url, options);
  let socket: net.Socket;
  if (proxy !== null) {
    const tunnel = await openTunnel(url, proxy, options, tracker);
    if (tunnel.rest.length > 0) {
      throw new ConnectError('The proxy sent data before the tunnel was used');
    }
    if (url.secure) {
      const s = tls.connect({
        ...options.tls,
        socket: tunnel.socket,
        servername: serverName(url.hostname),
        ALPNProtocols: ['http/1.1'],
      });
      tracker.track(s);
      tunnel.socket.resume();
      await waitConnected(s, 'secureConnect');
      socket = s;
    } else {
      socket = tunnel.socket;
    }
  } else if (url.secure) {
    const s = tls.connect({
      ...options.tls,
      host: connectHost(url.hostname),
      port: url.port,
      servername: serverName(url.hostname),
      ALPNProtocols: ['http/1.1'],
    });
    tracker.track(s);
    await waitConnected(s, 'secureConnect');
    socket = s;
  } else {
    const s = net.connect({ host: connectHost(url.hostname), port: url.port });
    tracker.track(s);
    await waitConnected(s, 'connect');
    socket = s;
  }
  socket.setNoDelay(true);
  return socket;
}
