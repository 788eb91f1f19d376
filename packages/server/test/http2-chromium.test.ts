/**
 * Interop: headless Chromium opens a WebSocket over an HTTP/2 connection it already holds
 * (RFC 8441). The page is loaded over h2 first; the server advertises
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, so Chromium sends an extended CONNECT on that session.
 * The server records the transport of each connection, and the test checks it was h2.
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from '../src/index.js';

const CHROMIUM = CHROMIUM_EXECUTABLE;
const fixtures = new URL('./fixtures/', import.meta.url);

const PAGE = `<!doctype html><meta charset="utf-8"><title>strata h2</title>
<script>
window.runEcho = () => new Promise((resolve, reject) => {
  const ws = new WebSocket('wss://' + location.host + '/echo', ['chat']);
  const got = [];
  ws.onopen = () => { ws.send('hello from chromium'); ws.send(new Uint8Array([1, 2, 3])); };
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (e) => {
    got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)]);
    if (got.length === 2) ws.close(1000, 'done');
  };
  ws.onclose = (e) => resolve({ got, code: e.code, reason: e.reason, wasClean: e.wasClean, protocol: ws.protocol });
  ws.onerror = () => reject(new Error('websocket error'));
});
</script>`;

describe.skipIf(!existsSync(CHROMIUM))('Chromium over TLS HTTP/2 (RFC 8441)', () => {
  it('opens the WebSocket on the page’s h2 session and echoes', async () => {
    const h2 = createSecureServer({
      key: readFileSync(new URL('localhost.key', fixtures)),
      cert: readFileSync(new URL('localhost.crt', fixtures)),
      allowHTTP1: true,
      settings: { enableConnectProtocol: true },
    });
    const sessions = new Set<ServerHttp2Session>();
    const pageProtocols: string[] = [];
    h2.on('session', (s) => sessions.add(s));
    h2.on('stream', (stream, headers) => {
      if (headers[':method'] !== 'GET') return;
      if (headers[':path'] !== '/') {
        stream.respond({ ':status': 404 });
        stream.end();
        return;
      }
      pageProtocols.push('h2');
      stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
      stream.end(PAGE);
    });
    const wss = new WebSocketServer({ http2: h2, protocols: ['chat'], heartbeatInterval: 0 });
    const transports: string[] = [];
    wss.on('connection', (ws) => {
      transports.push(wss.transportOf(ws)!);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    h2.listen(0, '127.0.0.1');
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;

    const profile = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      ignoreHTTPSErrors: true,
      args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
    });
    try {
      const page = await browser.newPage();
      const response = await page.goto(`https://127.0.0.1:${port}/`);
      expect(response?.status()).toBe(200);
      const result = await page.evaluate('window.runEcho()');
      expect(result).toEqual({
        got: ['hello from chromium', [1, 2, 3]],
        code: 1000,
        // The CloseEvent carries the server's close frame: the engine echoes the code only.
        reason: '',
        wasClean: true,
        protocol: 'chat',
      });
      expect(pageProtocols).toEqual(['h2']);
      // The WebSocket went over HTTP/2, not a new HTTP/1.1 connection.
      expect(transports).toEqual(['h2']);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
      for (const ws of wss.clients) ws.terminate();
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => h2.close(() => r()));
    }
  }, 60_000);
});
