/**
 * Real dependents of `ws`, unchanged, with `require('ws')` resolved to this package (the
 * preload `fixtures/alias-ws.cjs`, what an npm `overrides` alias does at install time): socket.io
 * server + socket.io-client over the WebSocket transport, and fastify + @fastify/websocket with
 * a `ws` client. Each exchange runs in a child process on 127.0.0.1 and reports JSON; the
 * instance counter of this package proves the sockets were ours.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const entry = fileURLToPath(new URL('../cjs/index.cjs', import.meta.url));

function run(script: string, ...args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', `${fixtures}alias-ws.cjs`, `${fixtures}${script}`, ...args],
      { timeout: 15_000 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          reject(new Error(`${script} failed: ${error?.message ?? ''}\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

describe('socket.io over @strata-ws/ws', () => {
  it.each(['plain', 'deflate'])('server and client exchange acks (%s)', async (mode) => {
    const result = await run('socketio-exchange.cjs', mode);
    expect(result.error).toBeUndefined();
    expect(result.wsPath).toBe(entry);
    expect(result.transports).toEqual(['websocket']);
    expect(result.clientTransport).toBe('websocket');
    expect(result.replies).toEqual(['answer to life', [3, 2, 1], 200_010]);
    // one server-side socket (engine.io) and one client (engine.io-client)
    expect(result.instances).toBe(2);
  });
});

describe('fastify + @fastify/websocket over @strata-ws/ws', () => {
  it.each(['plain', 'deflate'])('a route echoes text and binary (%s)', async (mode) => {
    const result = await run('fastify-exchange.cjs', mode);
    expect(result.error).toBeUndefined();
    expect(result.wsPath).toBe(entry);
    expect(result.serverSocketIsStrata).toBe(true);
    expect(result.messages).toEqual(['echo hi from /chat', [9, 8, 7]]);
    expect(result.closeCode).toBe(1000);
    expect(result.instances).toBe(2);
  });
});
