// @strata-ws/codec behaviour, identical in every runtime: RFC 6455 §5 framing, §5.3 masking,
// §5.5.1 / §7.4 close payloads, §8.1 UTF-8. Runs against packages/codec/dist.
import {
  CloseCode,
  decodeClosePayload,
  encodeClosePayload,
  encodeFrame,
  FrameParser,
  frameHeaderLength,
  isValidUtf8,
  mask,
  Opcode,
  ProtocolError,
  parseHeader,
  setMaskImplementation,
  setUtf8Validator,
  Utf8Validator,
  writeFrameHeader,
} from '@strata-ws/codec';
import {
  CLOSE_PAYLOADS,
  concatBytes,
  INVALID_CLOSE_PAYLOADS,
  INVALID_HEADERS,
  LENGTH_EDGES,
  MASK_VECTORS,
  patternBytes,
  RFC6455_EXAMPLE_MASK_KEY,
  RFC6455_FRAMES,
  UNSENDABLE_CLOSES,
  UTF8_VECTORS,
} from '@strata-ws/test-vectors';
import { assert, describe, random, test } from '../src/harness.js';

function closeCodeOf(fn) {
  const error = assert.throws(fn, (e) => e instanceof ProtocolError);
  return error.closeCode;
}

/** Parses `bytes` cut at `cuts`; returns unmasked frames as plain records. */
function parse(bytes, cuts = [], options) {
  const parser = new FrameParser(options);
  const frames = [];
  const sink = {
    frame(header, payload) {
      const data = payload.slice();
      if (header.masked) mask(data, header.maskKey);
      frames.push({
        fin: header.fin,
        rsv: header.rsv,
        opcode: header.opcode,
        masked: header.masked,
        maskKey: header.maskKey,
        payload: data,
      });
    },
  };
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    assert.equal(parser.push(bytes.subarray(start, end), sink), true, 'push result');
    start = end;
  }
  assert.equal(parser.bufferedLength, 0, 'bytes left in the parser');
  return frames;
}

const v = RFC6455_FRAMES;

describe('codec', () => {
  test('exports the opcode and close code tables', () => {
    assert.equal(Opcode.Text, 1);
    assert.equal(Opcode.Pong, 10);
    assert.equal(CloseCode.Normal, 1000);
    assert.equal(CloseCode.MessageTooBig, 1009);
  });

  test('§5.7 example headers parse to their fields', () => {
    for (const vector of Object.values(v)) {
      assert.deepEqual({ ...parseHeader(vector.wire, 0) }, { ...vector.header }, vector.name);
    }
  });

  test('§5.2 length edges: parse, frameHeaderLength and writeFrameHeader agree', () => {
    for (const edge of LENGTH_EDGES) {
      assert.equal(parseHeader(edge.header, 0).payloadLength, edge.payloadLength);
      assert.equal(parseHeader(edge.maskedHeader, 0).maskKey, RFC6455_EXAMPLE_MASK_KEY);
      assert.equal(frameHeaderLength(edge.payloadLength, true), edge.maskedHeader.length);
      const target = new Uint8Array(14);
      const n = writeFrameHeader(
        target,
        0,
        true,
        0,
        2,
        edge.payloadLength,
        RFC6455_EXAMPLE_MASK_KEY,
      );
      assert.bytes(target.subarray(0, n), edge.maskedHeader, `length ${edge.payloadLength}`);
      for (let cut = 0; cut < edge.maskedHeader.length; cut++) {
        assert.equal(parseHeader(edge.maskedHeader.subarray(0, cut), 0), null, 'incomplete header');
      }
    }
  });

  test('§5.2 / §5.5 invalid headers fail with 1002', () => {
    for (const vector of INVALID_HEADERS) {
      assert.equal(
        closeCodeOf(() => parseHeader(vector.bytes, 0)),
        1002,
        vector.name,
      );
    }
  });

  test('encodeFrame reproduces the §5.7 examples', () => {
    const cases = [
      [v.unmaskedText, { opcode: 1, payload: v.unmaskedText.payload }],
      [
        v.maskedText,
        { opcode: 1, payload: v.maskedText.payload, maskKey: RFC6455_EXAMPLE_MASK_KEY },
      ],
      [v.fragmentedTextFirst, { fin: false, opcode: 1, payload: v.fragmentedTextFirst.payload }],
      [v.fragmentedTextLast, { opcode: 0, payload: v.fragmentedTextLast.payload }],
      [v.unmaskedPing, { opcode: 9, payload: v.unmaskedPing.payload }],
      [
        v.maskedPong,
        { opcode: 10, payload: v.maskedPong.payload, maskKey: RFC6455_EXAMPLE_MASK_KEY },
      ],
      [v.binary256, { opcode: 2, payload: v.binary256.payload }],
      [v.binary65536, { opcode: 2, payload: v.binary65536.payload }],
    ];
    for (const [vector, frame] of cases) {
      assert.bytes(concatBytes(...encodeFrame(frame)), vector.wire, vector.name);
    }
    assert.throws(() => encodeFrame({ opcode: 9, payload: new Uint8Array(126) }), RangeError);
  });

  test('FrameParser: every split point of the §5.7 stream gives the same frames', () => {
    const stream = concatBytes(
      v.fragmentedTextFirst.wire,
      v.unmaskedPing.wire,
      v.fragmentedTextLast.wire,
      v.maskedText.wire,
      v.maskedPong.wire,
    );
    const expected = [
      v.fragmentedTextFirst,
      v.unmaskedPing,
      v.fragmentedTextLast,
      v.maskedText,
      v.maskedPong,
    ];
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const frames = parse(stream, [a, b]);
        assert.equal(frames.length, expected.length, `cuts ${a},${b}`);
        for (let i = 0; i < frames.length; i++) {
          assert.bytes(frames[i].payload, expected[i].payload, `cuts ${a},${b} frame ${i}`);
          assert.equal(frames[i].opcode, expected[i].header.opcode);
          assert.equal(frames[i].fin, expected[i].header.fin);
        }
      }
    }
  });

  test('FrameParser: views for frames inside one chunk, one reused header', () => {
    const stream = concatBytes(v.unmaskedText.wire, v.binary256.wire);
    const headers = new Set();
    const buffers = [];
    new FrameParser().push(stream, {
      frame(header, payload) {
        headers.add(header);
        buffers.push(payload.buffer);
      },
    });
    assert.equal(headers.size, 1, 'header objects');
    assert.ok(
      buffers.every((b) => b === stream.buffer),
      'payloads are views',
    );
  });

  test('FrameParser: 64 KiB frame across chunks, and random chunkings of random frames', () => {
    assert.bytes(parse(v.binary65536.wire, [1, 5, 30000])[0].payload, v.binary65536.payload);
    const next = random(0x5eed);
    const opcodes = [0, 1, 2, 8, 9, 10];
    for (let round = 0; round < 150; round++) {
      const specs = [];
      const count = 1 + Math.floor(next() * 5);
      for (let i = 0; i < count; i++) {
        const opcode = opcodes[Math.floor(next() * opcodes.length)];
        const control = opcode >= 8;
        const length =
          next() < 0.1 && !control
            ? 65530 + Math.floor(next() * 10)
            : Math.floor(next() * (control ? 126 : 300));
        specs.push({
          fin: control || next() < 0.5,
          rsv: [0, 0x40, 0x70][Math.floor(next() * 3)],
          opcode,
          payload: patternBytes(length, Math.floor(next() * 256)),
          maskKey: next() < 0.5 ? Math.floor(next() * 2 ** 32) : undefined,
        });
      }
      const bytes = concatBytes(...specs.flatMap((s) => encodeFrame(s)));
      const cuts = [];
      for (let c = 0; c < 6; c++) cuts.push(Math.floor(next() * (bytes.length + 1)));
      cuts.sort((a, b) => a - b);
      const frames = parse(bytes, cuts);
      assert.equal(frames.length, specs.length, `round ${round}`);
      for (let i = 0; i < specs.length; i++) {
        const s = specs[i];
        const f = frames[i];
        assert.deepEqual(
          [f.fin, f.rsv, f.opcode, f.masked, f.maskKey],
          [s.fin, s.rsv, s.opcode, s.maskKey !== undefined, s.maskKey ?? 0],
          `round ${round} frame ${i}`,
        );
        assert.bytes(f.payload, s.payload, `round ${round} frame ${i} payload`);
      }
    }
  });

  test('FrameParser: the sink stops and push(empty) resumes', () => {
    const stream = concatBytes(v.unmaskedText.wire, v.unmaskedPing.wire, v.maskedText.wire);
    const parser = new FrameParser();
    let seen = 0;
    const sink = {
      frame() {
        seen++;
        return false;
      },
    };
    assert.equal(parser.push(stream, sink), false);
    assert.equal(seen, 1);
    assert.equal(parser.bufferedLength, stream.length - v.unmaskedText.wire.length);
    assert.equal(parser.push(new Uint8Array(0), sink), false);
    assert.equal(parser.push(new Uint8Array(0), sink), false);
    assert.equal(seen, 3);
    assert.equal(parser.push(new Uint8Array(0), sink), true);
  });

  test('FrameParser: maxPayloadLength fails with 1009 at the header; bad headers with 1002', () => {
    const parser = new FrameParser({ maxPayloadLength: 255 });
    assert.equal(
      closeCodeOf(() => parser.push(v.binary256.wire.subarray(0, 4), { frame() {} })),
      1009,
    );
    assert.equal(parse(v.binary256.wire, [], { maxPayloadLength: 256 }).length, 1);
    for (const vector of INVALID_HEADERS) {
      const p = new FrameParser();
      assert.equal(
        closeCodeOf(() => p.push(vector.bytes, { frame() {} })),
        1002,
        vector.name,
      );
    }
  });

  test('FrameParser: random bytes throw nothing but ProtocolError 1002/1009', () => {
    const next = random(42);
    for (let round = 0; round < 500; round++) {
      const bytes = new Uint8Array(Math.floor(next() * 200));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      const parser = new FrameParser({ maxPayloadLength: Math.floor(next() * 70000) });
      try {
        parser.push(bytes.subarray(0, 7), { frame() {} });
        parser.push(bytes.subarray(7), { frame() {} });
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `round ${round}: ${error}`);
        assert.ok(error.closeCode === 1002 || error.closeCode === 1009, `round ${round}`);
      }
    }
  });

  test('§5.3 mask vectors, all lengths, alignments and key offsets', () => {
    for (const vector of MASK_VECTORS) {
      const data = vector.plain.slice();
      mask(data, vector.maskKey, vector.keyOffset);
      assert.bytes(data, vector.masked, vector.name);
    }
    const backing = patternBytes(400, 9);
    const key = [0x9a, 0xbc, 0xde, 0xf0];
    for (let length = 0; length <= 300; length += length < 80 ? 1 : 11) {
      for (let align = 0; align < 4; align++) {
        for (let offset = 0; offset < 4; offset++) {
          const buffer = backing.slice();
          mask(buffer.subarray(align, align + length), 0x9abcdef0, offset);
          const expected = backing.slice();
          for (let i = 0; i < length; i++) expected[align + i] ^= key[(i + offset) & 3];
          assert.bytes(buffer, expected, `length ${length} align ${align} offset ${offset}`);
        }
      }
    }
  });

  test('§5.3 large payloads (WebAssembly SIMD where available) match the definition', () => {
    const key = [0xc0, 0xff, 0xee, 0x11];
    for (const length of [383, 384, 385, 1000, 4099, 65536, 65537, 131075]) {
      for (const [align, offset] of [
        [0, 0],
        [1, 3],
        [2, 1],
        [3, 2],
      ]) {
        const backing = patternBytes(length + 8, length);
        const buffer = backing.slice();
        mask(buffer.subarray(align, align + length), 0xc0ffee11, offset);
        const expected = backing.slice();
        for (let i = 0; i < length; i++) expected[align + i] ^= key[(i + offset) & 3];
        assert.bytes(buffer, expected, `length ${length} align ${align} offset ${offset}`);
      }
      const payload = patternBytes(length, 3);
      const [, body] = encodeFrame({ opcode: 2, payload, maskKey: 0xc0ffee11 });
      const expected = payload.map((b, i) => b ^ key[i & 3]);
      assert.bytes(body, expected, `encodeFrame ${length}`);
      assert.bytes(payload, patternBytes(length, 3), 'payload untouched');
    }
  });

  test('setMaskImplementation: used from minLength, null restores', () => {
    const lengths = [];
    setMaskImplementation((data) => lengths.push(data.length), 100);
    try {
      mask(new Uint8Array(99), 1);
      mask(new Uint8Array(100), 1);
    } finally {
      setMaskImplementation(null);
    }
    assert.deepEqual(lengths, [100]);
    const data = new Uint8Array(2000);
    mask(data, 0x01010101);
    assert.ok(data.every((b) => b === 1));
  });

  test('§8.1 UTF-8 vectors: isValidUtf8, alone and padded past the fast paths', () => {
    const pad = patternBytes(48).map((b) => 0x61 + (b % 26));
    for (const u of UTF8_VECTORS) {
      assert.equal(isValidUtf8(u.bytes), u.valid, `${u.id} ${u.description}`);
      assert.equal(isValidUtf8(concatBytes(pad, u.bytes, pad)), u.valid, `${u.id} padded`);
    }
  });

  test('§8.1 Utf8Validator fails fast exactly at failAt, byte by byte', () => {
    for (const u of UTF8_VECTORS) {
      const validator = new Utf8Validator();
      let failedAt = null;
      for (let i = 0; i < u.bytes.length && failedAt === null; i++) {
        if (!validator.push(u.bytes.subarray(i, i + 1), false)) failedAt = i;
      }
      if (failedAt === null && !validator.push(new Uint8Array(0), true)) failedAt = u.bytes.length;
      assert.equal(failedAt, u.failAt, `${u.id} ${u.description}`);
    }
  });

  test("setUtf8Validator with this runtime's fatal TextDecoder gives the same answers", () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const host = (bytes) => {
      try {
        decoder.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
    setUtf8Validator(host);
    try {
      const pad = new Uint8Array(40).fill(0x41);
      for (const u of UTF8_VECTORS) {
        assert.equal(isValidUtf8(concatBytes(pad, u.bytes)), u.valid, u.id);
        for (let split = 0; split <= u.bytes.length; split++) {
          const validator = new Utf8Validator();
          const bytes = concatBytes(pad, u.bytes);
          const a = validator.push(bytes.subarray(0, pad.length + split), false);
          const b = validator.push(bytes.subarray(pad.length + split), true);
          assert.equal(a && b, u.valid, `${u.id} split ${split}`);
        }
      }
    } finally {
      setUtf8Validator(null);
    }
  });

  test('§5.5.1 / §7.4 close payloads', () => {
    for (const c of CLOSE_PAYLOADS) {
      assert.deepEqual(decodeClosePayload(c.payload), { code: c.code, reason: c.reason }, c.name);
      if (c.code !== 1005) assert.bytes(encodeClosePayload(c.code, c.reason), c.payload, c.name);
    }
    for (const c of INVALID_CLOSE_PAYLOADS) {
      assert.equal(
        closeCodeOf(() => decodeClosePayload(c.payload)),
        c.closeCode,
        c.name,
      );
    }
    for (const c of UNSENDABLE_CLOSES) {
      assert.throws(() => encodeClosePayload(c.code, c.reason), RangeError, c.name);
    }
  });
});
