/** Runs the WPT-derived cases against Strata's `WebSocket` and `WebSocketStream`. */
import type { WptRow } from '../report.js';
import { runTests, startWptServer } from './harness.js';
import { webSocketTests } from './websocket.js';
import { webSocketStreamTests } from './websocket-stream.js';

/** Both APIs' results. */
export async function runWpt(): Promise<WptRow[]> {
  const server = await startWptServer();
  try {
    return [
      { api: 'strata WebSocket', results: await runTests(webSocketTests(), server.base) },
      {
        api: 'strata WebSocketStream',
        results: await runTests(webSocketStreamTests(), server.base),
      },
    ];
  } finally {
    await server.stop();
  }
}
