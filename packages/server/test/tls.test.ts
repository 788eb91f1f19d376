// wss:// on a server this package creates (`tls` option), with a throw-away self-signed
// certificate made by the system's openssl (skipped where openssl is missing).
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ServerWebSocket, WebSocketServer } from '../src/index.js';

function selfSigned(): { key: Buffer; cert: Buffer } | null {
  const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const credentials = selfSigned();

describe.skipIf(credentials === null)('tls option (wss://)', () => {
  it('serves wss:// and reports the connection as secure to the hook', async () => {
    let secure: boolean | undefined;
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      tls: credentials!,
      authenticate: (_req, info) => {
        secure = info.secure;
        return true;
      },
    });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws: ServerWebSocket) =>
      ws.on('message', (d, b) => ws.send(d, { binary: b })),
    );
    const client = new WebSocket(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false });
    await once(client, 'open');
    client.send('over tls');
    const [data] = await once(client, 'message');
    expect(String(data)).toBe('over tls');
    expect(secure).toBe(true);
    client.close();
    await once(client, 'close');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});
