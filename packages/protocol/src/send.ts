/**
 * The send path of one connection: messages in, frames into its output. This file owns the
 * rules between an API send and the bytes: the fragmentation state of our outgoing message
 * (`frameOpcode`), the choice to compress (the extension pipeline's `encodeMaskFor`), queueing
 * behind an asynchronous encode (in the pipeline, in call order), short strings encoded straight
 * into the output, and prepared (broadcast) messages: the shared frame bytes a connection can
 * write as they are, and those waiting for our fragmented message to end.
 *
 * The `Sender` is the connection's output queue (`output.ts`, frame bytes) with this message
 * layer on top, made with the first frame written. The connection keeps the state machine: it
 * checks that a send is still allowed (no close frame queued, transport not ended) before
 * calling in, and drops what waits when a close or failure makes it obsolete.
 * @internal
 */
import { Opcode } from '@strata-ws/codec';
import type { SendOptions, Settings } from './options.js';
import { OutputQueue } from './output.js';
import { type ExtensionPipeline, PREPARED_FRAMES } from './pipeline.js';
import { DeferredPrepared, type PreparedMessage, sharedFrames } from './prepared.js';
import { encodeText } from './text.js';

const EMPTY = new Uint8Array(0);

/** Prepared messages waiting for a sender's fragmented message to end. */
const deferredPrepared = new DeferredPrepared<Sender>();

/**
 * One connection's send path over its output queue (see the file comment). Every method
 * assumes the connection allows sending; `ext` is the connection's extension pipeline.
 * @internal
 */
export class Sender extends OutputQueue {
  readonly #settings: Settings;
  /** Opcode of the message being sent in fragments (1 or 2), 0 between messages. */
  #txOpcode = 0;
  /** Prepared messages wait in `deferredPrepared` for our fragmented message to end. */
  #deferred = false;

  constructor(settings: Settings, handler: { onOutput(): void }, client: boolean) {
    super(settings, handler, client);
    this.#settings = settings;
  }

  /** Bytes of the prepared messages waiting for our fragmented message to end. */
  get deferredLength(): number {
    return this.#deferred ? deferredPrepared.length(this) : 0;
  }

  /** A text message: short strings are encoded straight into the output. */
  sendText(
    data: string | Uint8Array,
    options: SendOptions | undefined,
    ext: ExtensionPipeline | null,
  ): void {
    if (typeof data !== 'string') {
      this.send(Opcode.Text, data, options, ext);
    } else if (
      data.length <= this.#settings.shortStringMax &&
      (ext === null || (options?.compress === false && !ext.sendsWaiting))
    ) {
      // No TextEncoder call, no intermediate buffer.
      const fin = options?.fin ?? true;
      this.text(fin, this.#frameOpcode(Opcode.Text, fin), data);
      options?.done?.();
      if (this.#deferred && this.#txOpcode === 0) this.#sendDeferred(ext);
    } else {
      this.send(Opcode.Text, encodeText(data), options, ext);
    }
  }

  /** A text (`opcode` 1, `data` UTF-8) or binary (2) message, or a fragment of one. */
  send(
    opcode: number,
    data: Uint8Array,
    options: SendOptions | undefined,
    ext: ExtensionPipeline | null,
  ): void {
    let fin = true;
    let compress: boolean | undefined;
    let done: (() => void) | undefined;
    if (options !== undefined) {
      fin = options.fin ?? true;
      compress = options.compress;
      done = options.done;
    }
    const frameOpcode = this.#frameOpcode(opcode, fin);
    // Fragmented messages are never transformed.
    const encodeMask =
      ext === null || frameOpcode === 0 || !fin
        ? 0
        : ext.encodeMaskFor(data.length, opcode === Opcode.Binary, compress);
    if (ext === null || (encodeMask === 0 && !ext.sendsWaiting)) {
      this.frame(fin, 0, frameOpcode, data);
      done?.();
    } else {
      // An encode is running, sends wait behind one, or this one is to be encoded.
      ext.queue({
        opcode: frameOpcode,
        fin,
        rsv: 0,
        encodeMask,
        data,
        prepared: null,
        size: data.length,
        done,
      });
    }
    if (this.#deferred && this.#txOpcode === 0) this.#sendDeferred(ext);
  }

  /**
   * A prepared message, now or (while our fragmented message is unfinished) once it ends.
   * `client`: the connection masks, so it sends `message.data` as a message of its own.
   */
  sendPrepared(
    message: PreparedMessage,
    done: (() => void) | undefined,
    ext: ExtensionPipeline | null,
    client: boolean,
  ): void {
    if (this.#txOpcode === 0) {
      this.#sendPrepared(message, done, ext, client);
    } else {
      deferredPrepared.add(this, message, done);
      this.#deferred = true;
    }
  }

  /** Drops prepared messages waiting for a fragmented message that will not end first. */
  dropDeferred(): void {
    if (!this.#deferred) return;
    this.#deferred = false;
    deferredPrepared.take(this);
  }

  #sendPrepared(
    message: PreparedMessage,
    done: (() => void) | undefined,
    ext: ExtensionPipeline | null,
    client: boolean,
  ): void {
    if (client) {
      // A client masks every frame with a key of its own: the message goes as one of ours.
      const opcode = message.isBinary ? Opcode.Binary : Opcode.Text;
      this.send(opcode, message.data, { compress: message.compress, done }, ext);
    } else if (ext?.sendsWaiting) {
      // Its bytes are chosen when its turn comes (`writePrepared`), after the sends before it.
      ext.queue({
        opcode: PREPARED_FRAMES,
        fin: true,
        rsv: 0,
        encodeMask: 0,
        data: EMPTY,
        prepared: message,
        size: message.frame.length,
        done,
      });
    } else {
      this.writePrepared(message, ext);
      done?.();
    }
  }

  /**
   * Writes a server's prepared message now, its turn in the send order having come: the shared
   * compressed frame when compression is wanted and the extension can take it, else the plain
   * frame. The extension's `sharedEncodingKey` is read here, once, at this moment: everything
   * sent before was given to its encoder already (an extension may rely on that).
   */
  writePrepared(message: PreparedMessage, ext: ExtensionPipeline | null): void {
    const encodeMask =
      ext === null ? 0 : ext.encodeMaskFor(message.data.length, message.isBinary, message.compress);
    this.frames(sharedFrames(message, false, encodeMask, this.#settings.extensions)!);
  }

  /** Our fragmented message ended: send the prepared messages that waited for it, in order. */
  #sendDeferred(ext: ExtensionPipeline | null): void {
    this.#deferred = false;
    const deferred = deferredPrepared.take(this);
    const client = this.masked;
    for (let i = 0; i < deferred.length; i++) {
      this.#sendPrepared(deferred[i]!.message, deferred[i]!.done, ext, client);
    }
  }

  /**
   * The opcode of the next data frame of a message of type `opcode` (0 when it continues a
   * fragmented one), tracking fragmentation.
   * @throws TypeError when a fragmented message of the other type is unfinished.
   */
  #frameOpcode(opcode: number, fin: boolean): number {
    const current = this.#txOpcode;
    if (current === 0) {
      if (!fin) this.#txOpcode = opcode;
      return opcode;
    }
    if (current !== opcode) {
      throw new TypeError(
        current === Opcode.Text
          ? 'a text message is being sent in fragments: continue it with sendText'
          : 'a binary message is being sent in fragments: continue it with sendBinary',
      );
    }
    if (fin) this.#txOpcode = 0;
    return 0;
  }
}
