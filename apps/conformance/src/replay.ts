/**
 * Replays a capture (src/capture.ts) against Strata's engine as the server uses it (server
 * role, Node's allocator, bufferutil masking when installed, Node's UTF-8 validator): each
 * connection's bytes in the recorded read sizes, fresh chunks, then the same bytes in one read.
 * Prints what the engine did each way (messages, close, failure), to tell a read-dependent
 * engine result from a transport one. Connections that negotiated an extension are not replayed.
 *
 *   node --import @strata-ws/test-support/ts-loader apps/conformance/src/replay.ts <capture dir>
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocateBuffer, installNodeHost, nodeMasking } from '@strata-ws/node-host';
import { Connection } from '@strata-ws/protocol';

installNodeHost();

function replay(bytes: Buffer, sizes: number[]): string[] {
  const events: string[] = [];
  const conn = new Connection(
    {
      onMessage: (data, isBinary) =>
        events.push(`message ${isBinary ? 'binary' : 'text'} ${data.length} B`),
      onPing: (data) => events.push(`ping ${data.length} B`),
      onPong: (data) => events.push(`pong ${data.length} B`),
      onClose: (code, reason) => events.push(`close ${code} ${reason}`),
      onFail: (error) => events.push(`FAIL ${error.closeCode} ${error.message}`),
      onOutput: () => {},
    },
    { role: 'server', allocate: allocateBuffer, masking: nodeMasking() },
  );
  let at = 0;
  for (const size of sizes) {
    conn.receive(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return events;
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: replay.ts <capture dir>');
for (let i = 0; existsSync(join(dir, `connection-${i}.bin`)); i++) {
  const bytes = readFileSync(join(dir, `connection-${i}.bin`));
  const sizes = JSON.parse(
    readFileSync(join(dir, `connection-${i}.chunks.json`), 'utf8'),
  ) as number[];
  console.log(`connection ${i}: ${bytes.length} B in ${sizes.length} reads`);
  console.log(`  recorded reads: ${replay(bytes, sizes).join('; ')}`);
  console.log(`  one read:       ${replay(bytes, [bytes.length]).join('; ')}`);
}
