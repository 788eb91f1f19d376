/**
 * `WebSocket` cases written from the web-platform-tests `websockets/` test names and
 * assertions (the WPT files are not shipped by any npm package and cannot be fetched at test
 * time here; nothing is copied). Only the tests that apply outside a browser: no relative URLs,
 * workers, blocked ports, cookies or mixed content.
 */
import { type CloseEvent as StrataCloseEvent, WebSocket } from '@strata-ws/client';
import {
  assertEquals,
  assertThrowsDom,
  assertThrowsJs,
  assertTrue,
  nextEvent,
  type WptTest,
} from './harness.js';

type WS = InstanceType<typeof WebSocket>;

async function opened(url: string, protocols?: string | string[]): Promise<WS> {
  const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
  await nextEvent(ws, 'open');
  return ws;
}

async function closeEvent(ws: WS): Promise<StrataCloseEvent> {
  return nextEvent<StrataCloseEvent>(ws, 'close');
}

async function echoOf(
  url: string,
  data: unknown,
  binaryType: 'blob' | 'arraybuffer' = 'arraybuffer',
): Promise<unknown> {
  const ws = await opened(url);
  ws.binaryType = binaryType;
  const message = nextEvent<MessageEvent>(ws, 'message');
  ws.send(data as string);
  const event = await message;
  ws.close();
  return event.data;
}

const bytes = (data: unknown) => Buffer.from(data as ArrayBuffer).toString('hex');

/** The cases. */
export function webSocketTests(): WptTest[] {
  const t = (file: string, name: string, run: WptTest['run']): WptTest => ({ file, name, run });
  const closeThrows = (file: string, code: unknown, error: string, reason?: string) =>
    t(
      file,
      `Close WebSocket - close(${String(code)}${reason ? ', reason' : ''}) - ${error} is thrown`,
      async ({ url }) => {
        const ws = await opened(url);
        assertThrowsDom(error, () =>
          reason === undefined ? ws.close(code as number) : ws.close(code as number, reason),
        );
        ws.close();
      },
    );
  return [
    t('constructor.any.js', 'new WebSocket() without arguments throws TypeError', () =>
      assertThrowsJs(TypeError, () => new (WebSocket as unknown as new () => WS)()),
    ),
    t(
      'Create-invalid-urls.any.js',
      'Create WebSocket - Pass an invalid URL (space in host) - SYNTAX_ERR is thrown',
      () => assertThrowsDom('SyntaxError', () => new WebSocket('ws://foo bar.com/')),
    ),
    t(
      'Create-invalid-urls.any.js',
      'Create WebSocket - Pass an invalid URL (ws:// without host) - SYNTAX_ERR is thrown',
      () => assertThrowsDom('SyntaxError', () => new WebSocket('ws://')),
    ),
    t(
      'Create-wrong-scheme.any.js',
      'Create WebSocket - Pass a URL with a non ws/wss scheme - SYNTAX_ERR is thrown',
      () => assertThrowsDom('SyntaxError', () => new WebSocket('mailto:microsoft@microsoft.com')),
    ),
    t(
      'Create-url-with-fragment',
      'Create WebSocket - Pass a URL with a fragment - SYNTAX_ERR is thrown',
      ({ url }) => assertThrowsDom('SyntaxError', () => new WebSocket(`${url}#fragment`)),
    ),
    t(
      'Create-protocol-with-space.any.js',
      'Create WebSocket - Pass a valid URL and a protocol string with a space in it - SYNTAX_ERR is thrown',
      ({ url }) => assertThrowsDom('SyntaxError', () => new WebSocket(url, 'ec ho')),
    ),
    t(
      'Create-nonAscii-protocol-string.any.js',
      'Create WebSocket - Pass a valid URL and a protocol string with non-ascii values - SYNTAX_ERR is thrown',
      ({ url }) => assertThrowsDom('SyntaxError', () => new WebSocket(url, 'ÈÉÊË')),
    ),
    t(
      'Create-asciiSep-protocol-string.any.js',
      'Create WebSocket - Pass a valid URL and a protocol string with an ascii separator character - SYNTAX_ERR is thrown',
      ({ url }) => assertThrowsDom('SyntaxError', () => new WebSocket(url, 'echo,')),
    ),
    t(
      'Create-protocols-repeated.any.js',
      'Create WebSocket - Pass a valid URL and an array of protocol strings with repeated values - SYNTAX_ERR is thrown',
      ({ url }) => assertThrowsDom('SyntaxError', () => new WebSocket(url, ['echo', 'echo'])),
    ),
    t(
      'Create-protocols-repeated-case-insensitive.any.js',
      'Create WebSocket - Pass a valid URL and an array of protocol strings with repeated values but different case - SYNTAX_ERR is thrown',
      ({ url }) => assertThrowsDom('SyntaxError', () => new WebSocket(url, ['echo', 'eCho'])),
    ),
    t(
      'Create-valid-url.any.js',
      'Create WebSocket - Pass a valid URL - Connection should be opened, then closed',
      async ({ url }) => {
        const ws = await opened(url);
        assertEquals(ws.readyState, WebSocket.OPEN, 'readyState after open');
        const closed = closeEvent(ws);
        ws.close();
        const event = await closed;
        assertEquals(ws.readyState, WebSocket.CLOSED, 'readyState after close');
        assertTrue(event.wasClean, 'wasClean');
      },
    ),
    t(
      'Create-valid-url-protocol-empty.any.js',
      'Create WebSocket - wsocket.protocol should be empty before connection is established',
      ({ url }) => {
        const ws = new WebSocket(url, 'echo');
        assertEquals(ws.protocol, '', 'protocol');
        ws.close();
      },
    ),
    t(
      'Create-valid-url-array-protocols.any.js',
      'Create WebSocket - Pass a valid URL and array of protocol strings - Connection should be opened',
      async ({ url }) => {
        const ws = await opened(url, ['echo', 'chat']);
        assertEquals(ws.protocol, 'echo', 'protocol');
        ws.close();
      },
    ),
    t(
      'Create-valid-url-protocol-string.any.js',
      'Create WebSocket - Pass a valid URL and a protocol string - protocol should be set correctly',
      async ({ url }) => {
        const ws = await opened(url, 'echo');
        assertEquals(ws.protocol, 'echo', 'protocol');
        ws.close();
      },
    ),
    t(
      'Create-verify-url-set-non-default-port.any.js',
      'Create WebSocket - wsocket.url should be set correctly',
      ({ url }) => {
        const ws = new WebSocket(url);
        assertEquals(ws.url, url, 'url');
        ws.close();
      },
    ),
    t(
      'Create-valid-url-binaryType-blob.any.js',
      'Create WebSocket - wsocket.binaryType should be set to "blob" after connection is established',
      async ({ url }) => {
        const ws = await opened(url);
        assertEquals(ws.binaryType, 'blob', 'binaryType');
        ws.close();
      },
    ),
    t(
      'Create-extensions-empty.any.js',
      'Create WebSocket - wsocket.extensions should be set to "" before connection is established',
      ({ url }) => {
        const ws = new WebSocket(url);
        assertEquals(ws.extensions, '', 'extensions');
        ws.close();
      },
    ),
    t(
      'binaryType-wrong-value.any.js',
      'Create WebSocket - set binaryType to something other than blob or arraybuffer - binaryType should stay blob',
      async ({ url }) => {
        const ws = await opened(url);
        (ws as { binaryType: string }).binaryType = 'notBlobOrArrayBuffer';
        assertEquals(ws.binaryType, 'blob', 'binaryType');
        ws.close();
      },
    ),
    closeThrows('Close-0.any.js', 0, 'InvalidAccessError'),
    closeThrows(
      'Close-2999-reason.any.js',
      2999,
      'InvalidAccessError',
      'Close not in range 3000-4999',
    ),
    closeThrows('Close-NaN.any.js', Number.NaN, 'InvalidAccessError'),
    closeThrows('Close-null.any.js', null, 'InvalidAccessError'),
    closeThrows('Close-string.any.js', 'string', 'InvalidAccessError'),
    closeThrows('Close-clamp.any.js', 65536 + 1000, 'InvalidAccessError'),
    closeThrows('Close-onlyReason.any.js', 'Close with only reason', 'InvalidAccessError'),
    closeThrows('Close-Reason-124Bytes.any.js', 1000, 'SyntaxError', 'a'.repeat(124)),
    t(
      'Close-1000.any.js',
      'Close WebSocket - Code is 1000 - event.code == 1000, wasClean',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close(1000);
        const event = await closed;
        assertEquals(event.code, 1000, 'code');
        assertTrue(event.wasClean, 'wasClean');
      },
    ),
    t(
      'Close-1000-reason.any.js',
      'Close WebSocket - Code is 1000 and some reason - event.wasClean should be true',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close(1000, 'Clean Close');
        assertTrue((await closed).wasClean, 'wasClean');
      },
    ),
    t(
      'Close-1005.any.js',
      'Close WebSocket - close() without code - event.code == 1005',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close();
        assertEquals((await closed).code, 1005, 'code');
      },
    ),
    t(
      'Close-3000-verify-code.any.js',
      'Close WebSocket - Code is 3000 - verify return code is 3000',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close(3000, 'Clean Close with code - 3000');
        const event = await closed;
        assertEquals(event.code, 3000, 'code');
        assertTrue(event.wasClean, 'wasClean');
      },
    ),
    t(
      'Close-4999-reason.any.js',
      'Close WebSocket - Code is 4999 and some reason - event.wasClean should be true',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close(4999, 'Clean Close with code - 4999');
        assertTrue((await closed).wasClean, 'wasClean');
      },
    ),
    t(
      'Close-readyState-Closing.any.js',
      'Close WebSocket - readyState should be in CLOSING state just before onclose is called',
      async ({ url }) => {
        const ws = await opened(url);
        ws.close();
        assertEquals(ws.readyState, WebSocket.CLOSING, 'readyState');
        await closeEvent(ws);
      },
    ),
    t(
      'Close-readyState-Closed.any.js',
      'Close WebSocket - readyState should be in CLOSED state when onclose is called',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close();
        await closed;
        assertEquals(ws.readyState, WebSocket.CLOSED, 'readyState');
      },
    ),
    t(
      'Close-reason-unpaired-surrogates.any.js',
      'Close WebSocket - Reason with unpaired surrogates - connection should get closed (reason sent as U+FFFD)',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close(1000, '\uD807');
        assertTrue((await closed).wasClean, 'wasClean');
      },
    ),
    t(
      'Close-undefined.any.js',
      'Close WebSocket - close(undefined) - no exception',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.close(undefined);
        await closed;
      },
    ),
    t(
      'Close-server-initiated-close.any.js',
      'Server initiated closing handshake',
      async ({ url }) => {
        const ws = await opened(url);
        const closed = closeEvent(ws);
        ws.send('Goodbye');
        const event = await closed;
        assertEquals(event.code, 1000, 'code');
        assertTrue(event.wasClean, 'wasClean');
      },
    ),
    t(
      'Send-before-open.any.js',
      'Send data on a WebSocket before connection is opened - INVALID_STATE_ERR is returned',
      ({ url }) => {
        const ws = new WebSocket(url);
        assertThrowsDom('InvalidStateError', () => ws.send('Message to send'));
        ws.close();
      },
    ),
    t(
      'Send-0byte-data.any.js',
      'Send 0 byte data on a WebSocket - Connection should be closed',
      async ({ url }) => assertEquals(await echoOf(url, ''), '', 'echo'),
    ),
    t(
      'Send-65K-data.any.js',
      'Send 65K data on a WebSocket - Connection should be closed',
      async ({ url }) =>
        assertEquals(await echoOf(url, 'x'.repeat(65000)), 'x'.repeat(65000), 'echo'),
    ),
    t(
      'Send-data.any.js',
      'Send data on a WebSocket - Connection should be closed',
      async ({ url }) =>
        assertEquals(await echoOf(url, 'Message to send'), 'Message to send', 'echo'),
    ),
    t(
      'Send-null.any.js',
      'Send null data on a WebSocket - Connection should be closed',
      async ({ url }) => assertEquals(await echoOf(url, null), 'null', 'echo'),
    ),
    t(
      'Send-paired-surrogates.any.js',
      'Send paired surrogates data on a WebSocket - Connection should be closed',
      async ({ url }) => assertEquals(await echoOf(url, '\uD801\uDC07'), '\uD801\uDC07', 'echo'),
    ),
    t(
      'Send-unpaired-surrogates.any.js',
      'Send unpaired surrogate data on a WebSocket - Connection should be closed (sent as U+FFFD)',
      async ({ url }) => assertEquals(await echoOf(url, '\uD807'), '\uFFFD', 'echo'),
    ),
    t(
      'Send-binary-65K-arraybuffer.any.js',
      'Send 65K binary data on a WebSocket - ArrayBuffer - Connection should be closed',
      async ({ url }) =>
        assertEquals(
          bytes(await echoOf(url, new ArrayBuffer(65000))),
          bytes(new ArrayBuffer(65000)),
          'echo',
        ),
    ),
    t(
      'Send-binary-arraybufferview-int8.any.js',
      'Send binary data on a WebSocket - ArrayBufferView - Int8Array - Connection should be closed',
      async ({ url }) => {
        const view = new Int8Array([1, -1, 127, -128]);
        assertEquals(
          bytes(await echoOf(url, view)),
          Buffer.from(view.buffer).toString('hex'),
          'echo',
        );
      },
    ),
    t(
      'Send-binary-arraybufferview-float64.any.js',
      'Send binary data on a WebSocket - ArrayBufferView - Float64Array - Connection should be closed',
      async ({ url }) => {
        const view = new Float64Array([Math.PI, -0]);
        assertEquals(
          bytes(await echoOf(url, view)),
          Buffer.from(view.buffer).toString('hex'),
          'echo',
        );
      },
    ),
    t(
      'Send-binary-arraybufferview-int16-offset.any.js',
      'Send binary data on a WebSocket - ArrayBufferView - Int16Array with offset - Connection should be closed',
      async ({ url }) => {
        const buffer = new ArrayBuffer(8);
        new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
        const view = new Int16Array(buffer, 2, 2);
        assertEquals(bytes(await echoOf(url, view)), '03040506', 'echo');
      },
    ),
    t(
      'Send-binary-blob.any.js',
      'Send binary data on a WebSocket - Blob - Connection should be closed',
      async ({ url }) => {
        const data = await echoOf(url, new Blob([new Uint8Array([1, 2, 3])]), 'blob');
        assertTrue(data instanceof Blob, 'data is a Blob');
        assertEquals(
          Buffer.from(await (data as Blob).arrayBuffer()).toString('hex'),
          '010203',
          'echo',
        );
      },
    ),
    t(
      'bufferedAmount.any.js',
      'bufferedAmount grows by the UTF-8 length on send and returns to 0 once written',
      async ({ url }) => {
        const ws = await opened(url);
        ws.send('κόσμε');
        assertEquals(ws.bufferedAmount, Buffer.byteLength('κόσμε'), 'bufferedAmount after send');
        await nextEvent(ws, 'message');
        assertEquals(ws.bufferedAmount, 0, 'bufferedAmount after echo');
        ws.close();
      },
    ),
    t(
      'send-after-close',
      'send() after close() does not throw and counts bufferedAmount',
      async ({ url }) => {
        const ws = await opened(url);
        ws.close();
        ws.send('abc');
        assertEquals(ws.bufferedAmount, 3, 'bufferedAmount');
      },
    ),
    t('interfaces.any.js', 'WebSocket constants on the interface and the prototype', () => {
      assertEquals(WebSocket.CONNECTING, 0, 'CONNECTING');
      assertEquals(WebSocket.OPEN, 1, 'OPEN');
      assertEquals(WebSocket.CLOSING, 2, 'CLOSING');
      assertEquals(WebSocket.CLOSED, 3, 'CLOSED');
      assertEquals((WebSocket.prototype as unknown as { OPEN: number }).OPEN, 1, 'prototype OPEN');
    }),
    t(
      'eventhandlers.any.js',
      'Event handler attributes default to null and fire when set',
      async ({ url }) => {
        const ws = new WebSocket(url);
        assertEquals(ws.onopen, null, 'onopen');
        assertEquals(ws.onmessage, null, 'onmessage');
        assertEquals(ws.onerror, null, 'onerror');
        assertEquals(ws.onclose, null, 'onclose');
        await new Promise<void>((resolve) => {
          ws.onopen = () => resolve();
        });
        ws.close();
      },
    ),
    t(
      'Create-blocked-port / connection refused',
      'A refused connection fires error then close (1006, not clean)',
      async () => {
        const ws = new WebSocket('ws://127.0.0.1:1/');
        const order: string[] = [];
        ws.onerror = () => order.push('error');
        const event = await new Promise<StrataCloseEvent>((resolve) => {
          ws.onclose = (e) => resolve(e as StrataCloseEvent);
        });
        assertEquals(order.join(), 'error', 'events before close');
        assertEquals(event.code, 1006, 'code');
        assertEquals(event.wasClean, false, 'wasClean');
      },
    ),
  ];
}
