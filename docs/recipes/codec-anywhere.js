// Recipe: the codec in any runtime (browser, Worker, Deno, Bun, Node): no node:* imports,
// Uint8Array only. Encodes a masked text frame as a client would, parses it back as a server
// would, and returns what it saw. Run by the tests in Chromium, Deno, Bun and Node.
import { encodeFrame, FrameParser, mask, Opcode } from '@strata-ws/codec';

export function roundTrip(text) {
  const maskKey = 0x37fa213d;
  const [header, payload] = encodeFrame({
    opcode: Opcode.Text,
    payload: new TextEncoder().encode(text),
    maskKey,
  });
  const wire = new Uint8Array(header.length + payload.length);
  wire.set(header);
  wire.set(payload, header.length);
  const seen = [];
  new FrameParser().push(wire, {
    frame(h, data) {
      const copy = data.slice();
      if (h.masked) mask(copy, h.maskKey);
      seen.push({
        opcode: h.opcode,
        fin: h.fin,
        masked: h.masked,
        text: new TextDecoder().decode(copy),
      });
    },
  });
  return { bytes: wire.length, frames: seen };
}

// Run directly (deno run / bun run / node): print the result as JSON.
const direct =
  import.meta.main === true ||
  (typeof process !== 'undefined' && String(process.argv?.[1]).endsWith('codec-anywhere.js'));
if (direct) {
  console.log(JSON.stringify(roundTrip('héllo from every runtime')));
}
