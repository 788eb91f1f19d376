/**
 * `createWebSocketStream(ws, options)`: a `node:stream` Duplex over a `WebSocket`. Written
 * chunks become messages (sent once the socket is open), received messages are pushed as
 * readable chunks (reading pauses the socket when the stream's buffer is full), ending the
 * writable side closes the WebSocket, destroying the stream terminates it.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket.js';

/**
 * Wraps `ws` in a Duplex stream.
 * @param ws - an open or opening WebSocket
 * @param options - Duplex options (`objectMode` readable side turns text into strings)
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminate = true;
  const afterOpen = (fn: () => void): boolean => {
    if (ws.readyState !== 0) return false;
    ws.once('open', fn);
    return true;
  };
  const duplex: Duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (afterOpen(() => duplex._write(chunk, 'binary', callback))) return;
      ws.send(chunk, (error) => callback(error ?? null));
    },
    final(callback) {
      if (afterOpen(() => duplex._final(callback))) return;
      const socket = ws._socket;
      if (socket === null) return;
      if (socket.writableFinished) {
        callback();
        if (duplex.readableEnded) duplex.destroy();
        return;
      }
      socket.once('finish', () => callback());
      ws.close();
    },
    destroy(error, callback) {
      if (ws.readyState === 3) {
        callback(error);
        process.nextTick(() => duplex.emit('close'));
        return;
      }
      let settled = false;
      ws.once('error', (err: Error) => {
        settled = true;
        callback(err);
      });
      ws.once('close', () => {
        if (!settled) callback(error);
        process.nextTick(() => duplex.emit('close'));
      });
      if (terminate) ws.terminate();
    },
  });
  const objectMode = duplex.readableObjectMode;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const chunk = !isBinary && objectMode ? data.toString() : data;
    if (!duplex.push(chunk)) ws.pause();
  });
  ws.once('error', (error: Error) => {
    if (duplex.destroyed) return;
    terminate = false;
    duplex.destroy(error);
  });
  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });
  duplex.on('end', () => {
    if (duplex.writableFinished) duplex.destroy();
  });
  const onError = (error: Error): void => {
    duplex.removeListener('error', onError);
    duplex.destroy();
    // nobody else listens: let the error surface as an unhandled 'error', as any stream does
    if (duplex.listenerCount('error') === 0) duplex.emit('error', error);
  };
  duplex.on('error', onError);
  return duplex;
}
