/*
 * CommonJS entry of @strata-ws/ws: `module.exports` is the WebSocket class with ws's statics
 * (`WebSocket.Server`, `WebSocket.WebSocketServer`, `WebSocket.createWebSocketStream`, ...),
 * as `require('ws')` gives. The ES module build is loaded synchronously with require(esm),
 * which Node >= 20.19 and >= 22.12 do without a flag (the graph has no top-level await), so
 * CommonJS and ESM users share one module instance: no dual-package hazard.
 */
'use strict';

module.exports = require('../dist/index.js').default;
