/**
 * Byte captures for intermittent results: a copy of every chunk each connection's socket
 * delivers to the server under test, taken before the server reads it (Strata's engine unmasks
 * in place), kept for the current case only and written out when that case is not a PASS
 * (`connection-N.bin`, `connection-N.chunks.json` with the read sizes in order, `outcome.json`),
 * so that the exact reads can be replayed against the engine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Outcome } from './cases/types.js';

/** Records the current case's connections (see the file comment). */
export class ByteRecorder {
  readonly #dir: string;
  #connections: Buffer[][] = [];

  /** Captures are written under `dir`. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Give each new connection's socket (before the server reads from it again). */
  readonly onConnection = (socket: Duplex): void => {
    const chunks: Buffer[] = [];
    this.#connections.push(chunks);
    socket.prependListener('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  };

  /**
   * Ends a case: when `keep`, writes its connections to `<dir>/<label>/` and returns that
   * directory; forgets them either way.
   */
  caseDone(label: string, outcome: Outcome, keep: boolean): string | null {
    const connections = this.#connections;
    this.#connections = [];
    if (!keep) return null;
    const dir = join(this.#dir, label.replace(/[^\w.+-]+/g, '_'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'outcome.json'), JSON.stringify(outcome, null, 1));
    connections.forEach((chunks, i) => {
      writeFileSync(join(dir, `connection-${i}.bin`), Buffer.concat(chunks));
      writeFileSync(
        join(dir, `connection-${i}.chunks.json`),
        JSON.stringify(chunks.map((b) => b.length)),
      );
    });
    return dir;
  }
}
