import { describe, expect, it } from 'vitest';
import * as server from '../src/index.js';

describe('export surface', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(server).sort()).toEqual([
      'ChannelName',
      'HTTP2_PREFACE',
      'InProcessAdapter',
      'PreparedMessage',
      'ServerCounters',
      'ServerWebSocket',
      'TopicRegistry',
      'WebSocketServer',
      'busCountersOf',
      'closeGracefully',
      'createDualProtocolServer',
      'defaultLimits',
      'isWebSocketConnect',
      'websocketHttp2Settings',
      'withConnectProtocol',
    ]);
  });
});
