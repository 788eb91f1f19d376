// ClusterAdapter and ClusterRelay refuse what they cannot work with, at construction, with an
// error naming the problem (the processes are tested in cluster.test.ts).
import { describe, expect, it } from 'vitest';
import { ClusterAdapter, ClusterRelay, runCluster } from '../src/index.js';

describe('construction', () => {
  it('ClusterAdapter outside a worker (no IPC channel) throws', () => {
    const send = process.send;
    try {
      process.send = undefined;
      expect(() => new ClusterAdapter()).toThrow(/node:cluster worker/);
    } finally {
      process.send = send;
    }
  });

  it('byte bounds and serialization are checked', () => {
    expect(() => new ClusterRelay({ maxQueueBytes: 0 })).toThrow(/maxQueueBytes/);
    expect(() => new ClusterRelay({ maxQueueBytes: 1.5 })).toThrow(RangeError);
    expect(() => new ClusterRelay({ serialization: 'xml' as 'json' })).toThrow(/serialization/);
    expect(new ClusterRelay().subscribersOf('t')).toEqual([]);
  });

  it('runCluster checks its options before forking', async () => {
    await expect(runCluster({} as never)).rejects.toThrow(/worker must be a function/);
    await expect(runCluster({ worker: () => {}, workers: 0 })).rejects.toThrow(/workers/);
    await expect(runCluster({ worker: () => {}, respawnDelay: -1 })).rejects.toThrow(
      /respawnDelay/,
    );
  });
});
