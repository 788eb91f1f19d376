// Types of the CommonJS entry: `require('@strata-ws/ws')` is the WebSocket class with ws's
// statics and type names (WebSocket.Server, WebSocket.RawData, ...), as @types/ws's `export =`.
import strata = require('../dist/index.js');

export = strata.default;
