/**
 * RFC 7692 §5 and §7.1: extension negotiation, server and client side.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PerMessageDeflateClient } from './client.js';
import { type DeflateParam, type DeflateParams, parseParams, parseWindowBits } from './params.js';
import { PerMessageDeflateServer } from './server.js';

/** Builds params from `name` / `name=value` strings. */
function p(...items: string[]): DeflateParam[] {
  return items.map((item) => {
    const eq = item.indexOf('=');
    return eq < 0
      ? { name: item, value: null }
      : { name: item.slice(0, eq), value: item.slice(eq + 1) };
  });
}

function text(params: DeflateParams | null): string | null {
  if (params === null) return null;
  return params.map((x) => (x.value === null ? x.name : `${x.name}=${x.value}`)).join('; ');
}

describe('window bits grammar (RFC 7692 §7.1.2)', () => {
  it('accepts exactly "8".."15"', () => {
    for (let b = 8; b <= 15; b++) expect(parseWindowBits(String(b))).toBe(b);
    for (const bad of [
      '',
      '7',
      '16',
      '08',
      '015',
      '1',
      '0',
      '9 ',
      ' 9',
      '+9',
      '9.0',
      '1a',
      'a',
      '150',
      '-8',
    ]) {
      expect(parseWindowBits(bad), bad).toBe(-1);
    }
  });
});

describe('server negotiation (RFC 7692 §5.1, §7.1)', () => {
  // Imposing server_no_context_takeover (the option) makes every response below state it.
  const server = new PerMessageDeflateServer({ serverNoContextTakeover: true });

  it('accepts a bare offer and keeps its context by default (§7.1.1.1)', () => {
    const byDefault = new PerMessageDeflateServer().select([p()]);
    expect(text(byDefault?.response ?? null)).toBe('');
    expect(byDefault?.agreement.serverNoContextTakeover).toBe(false);
    expect(text(new PerMessageDeflateServer().negotiate([p('server_no_context_takeover')]))).toBe(
      'server_no_context_takeover',
    );
  });

  it('imposes server_no_context_takeover when told to (§7.1.1.1)', () => {
    const sel = server.select([p()]);
    expect(text(sel?.response ?? null)).toBe('server_no_context_takeover');
    expect(sel?.agreement).toEqual({
      role: 'server',
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
  });

  it('keeps its context when told to, unless the client asks otherwise', () => {
    const keep = new PerMessageDeflateServer({ serverNoContextTakeover: false });
    expect(text(keep.negotiate([p()]))).toBe('');
    expect(text(keep.negotiate([p('server_no_context_takeover')]))).toBe(
      'server_no_context_takeover',
    );
  });

  it('echoes client_no_context_takeover and can impose it (§7.1.1.2)', () => {
    expect(text(server.negotiate([p('client_no_context_takeover')]))).toBe(
      'server_no_context_takeover; client_no_context_takeover',
    );
    const impose = new PerMessageDeflateServer({ clientNoContextTakeover: true });
    const sel = impose.select([p()]);
    expect(text(sel?.response ?? null)).toBe('client_no_context_takeover');
    expect(sel?.agreement.clientNoContextTakeover).toBe(true);
  });

  it('answers server_max_window_bits with the same or a smaller value (§7.1.2.1)', () => {
    expect(text(server.negotiate([p('server_max_window_bits=10')]))).toBe(
      'server_no_context_takeover; server_max_window_bits=10',
    );
    const small = new PerMessageDeflateServer({
      serverMaxWindowBits: 9,
      serverNoContextTakeover: false,
    });
    expect(text(small.negotiate([p('server_max_window_bits=12')]))).toBe(
      'server_max_window_bits=9',
    );
    expect(text(small.negotiate([p('server_max_window_bits=15')]))).toBe(
      'server_max_window_bits=9',
    );
    // Unasked: announced when below 15.
    expect(text(small.negotiate([p()]))).toBe('server_max_window_bits=9');
    expect(small.select([p()])?.agreement.serverMaxWindowBits).toBe(9);
  });

  it('accepts server_max_window_bits=8 and records it (the engine then sends uncompressed)', () => {
    const sel = server.select([p('server_max_window_bits=8')]);
    expect(text(sel?.response ?? null)).toBe(
      'server_no_context_takeover; server_max_window_bits=8',
    );
    expect(sel?.agreement.serverMaxWindowBits).toBe(8);
  });

  it('handles client_max_window_bits with and without a value (§7.1.2.2)', () => {
    const keep = new PerMessageDeflateServer({ serverNoContextTakeover: false });
    expect(text(keep.negotiate([p('client_max_window_bits')]))).toBe('');
    expect(keep.select([p('client_max_window_bits')])?.agreement.clientMaxWindowBits).toBe(15);
    expect(text(keep.negotiate([p('client_max_window_bits=11')]))).toBe(
      'client_max_window_bits=11',
    );
    const limit = new PerMessageDeflateServer({
      serverNoContextTakeover: false,
      clientMaxWindowBits: 10,
    });
    expect(text(limit.negotiate([p('client_max_window_bits')]))).toBe('client_max_window_bits=10');
    expect(text(limit.negotiate([p('client_max_window_bits=12')]))).toBe(
      'client_max_window_bits=10',
    );
    expect(text(limit.negotiate([p('client_max_window_bits=9')]))).toBe('client_max_window_bits=9');
    expect(text(limit.negotiate([p('client_max_window_bits=8')]))).toBe('client_max_window_bits=8');
    // A client that did not announce the parameter must not receive it (§7.1.2.2).
    expect(text(limit.negotiate([p()]))).toBe('');
    expect(limit.select([p()])?.agreement.clientMaxWindowBits).toBe(15);
  });

  it('declines a malformed offer and takes the next one, in the client order (§5.1)', () => {
    const bad: DeflateParam[][] = [
      p('unknown_param'),
      p('server_no_context_takeover', 'server_no_context_takeover'),
      p('client_max_window_bits', 'client_max_window_bits=10'),
      p('server_no_context_takeover=1'),
      p('client_no_context_takeover=true'),
      p('server_max_window_bits'),
      p('server_max_window_bits=7'),
      p('server_max_window_bits=16'),
      p('server_max_window_bits=08'),
      p('client_max_window_bits=0'),
      p('client_max_window_bits=abc'),
      p('client_max_window_bits='),
    ];
    for (const offer of bad) {
      expect(server.negotiate([offer]), text(offer) ?? '').toBeNull();
      const sel = server.select([offer, p('client_max_window_bits=12'), p()]);
      expect(sel?.offerIndex).toBe(1);
      expect(text(sel?.response ?? null)).toBe(
        'server_no_context_takeover; client_max_window_bits=12',
      );
    }
    expect(server.negotiate([])).toBeNull();
  });

  it('takes the first acceptable offer even when a later one is simpler', () => {
    const sel = server.select([p('server_max_window_bits=10', 'client_no_context_takeover'), p()]);
    expect(sel?.offerIndex).toBe(0);
    expect(sel?.agreement).toMatchObject({
      serverMaxWindowBits: 10,
      clientNoContextTakeover: true,
    });
  });

  it('compares parameter names case-insensitively', () => {
    expect(text(server.negotiate([p('Client_No_Context_Takeover')]))).toBe(
      'server_no_context_takeover; client_no_context_takeover',
    );
  });

  it('refuses options it cannot keep', () => {
    expect(() => new PerMessageDeflateServer({ serverMaxWindowBits: 8 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ serverMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ clientMaxWindowBits: 7 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ clientMaxWindowBits: 9.5 })).toThrow(RangeError);
  });

  it('agreement(response) restates what select() agreed', () => {
    const sel = server.select([p('client_max_window_bits=9', 'server_max_window_bits=11')]);
    expect(sel).not.toBeNull();
    expect(server.agreement(sel!.response)).toEqual(sel!.agreement);
    expect(() => server.agreement(p('bogus'))).toThrow(TypeError);
  });

  it('never throws and never answers an invalid response, whatever the offers (property)', () => {
    const name = fc.constantFrom(
      'server_no_context_takeover',
      'client_no_context_takeover',
      'server_max_window_bits',
      'client_max_window_bits',
      'x',
    );
    const value = fc.option(fc.constantFrom('8', '9', '10', '12', '15', '7', '16', '08', '', 'a'), {
      nil: null,
    });
    const param = fc.record({ name, value });
    fc.assert(
      fc.property(fc.array(fc.array(param, { maxLength: 5 }), { maxLength: 4 }), (offers) => {
        const sel = server.select(offers);
        if (sel === null) return;
        // The accepted offer was well-formed, and the answer is a valid response to it.
        const accepted = parseParams(offers[sel.offerIndex]!, false);
        const response = parseParams(sel.response, true);
        if (typeof accepted === 'string' || typeof response === 'string') {
          throw new Error(`accepted ${String(accepted)} / answered ${String(response)}`);
        }
        for (let i = 0; i < sel.offerIndex; i++)
          expect(typeof parseParams(offers[i]!, false)).toBe('string');
        if (accepted.serverMaxWindowBits !== null) {
          expect(response.serverMaxWindowBits).toBeLessThanOrEqual(accepted.serverMaxWindowBits);
        }
        if (accepted.serverNoContextTakeover) expect(response.serverNoContextTakeover).toBe(true);
        if (response.clientMaxWindowBits !== null)
          expect(accepted.clientMaxWindowBits).not.toBeNull();
        expect(server.agreement(sel.response)).toEqual(sel.agreement);
      }),
      { numRuns: 300 },
    );
  });
});

describe('client negotiation (RFC 7692 §5.2, §7.1)', () => {
  it('offers client_max_window_bits without a value by default', () => {
    expect(new PerMessageDeflateClient().offer().map(text)).toEqual(['client_max_window_bits']);
  });

  it('offers several parameter sets in order of preference', () => {
    const client = new PerMessageDeflateClient({
      offers: [
        {
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: 10,
        },
        { clientMaxWindowBits: false },
      ],
    });
    expect(client.offer().map(text)).toEqual([
      'server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10',
      '',
    ]);
  });

  it('accepts valid responses and fills in the defaults', () => {
    const client = new PerMessageDeflateClient();
    expect(client.checkResponse(p())).toBeNull();
    expect(client.agreement(p())).toEqual({
      role: 'client',
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    // The server may add these unasked (§7.1.1.1, §7.1.1.2, §7.1.2.1) and limit our window (§7.1.2.2).
    const all = p(
      'server_no_context_takeover',
      'client_no_context_takeover',
      'server_max_window_bits=9',
      'client_max_window_bits=8',
    );
    expect(client.checkResponse(all)).toBeNull();
    expect(client.agreement(all)).toEqual({
      role: 'client',
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 8,
    });
  });

  it('fails on malformed responses', () => {
    const client = new PerMessageDeflateClient();
    const cases: [DeflateParam[], RegExp][] = [
      [p('foo'), /unknown parameter/],
      [p('server_no_context_takeover', 'server_no_context_takeover'), /duplicate/],
      [p('client_max_window_bits=10', 'client_max_window_bits=10'), /duplicate/],
      [p('server_no_context_takeover=x'), /must not have a value/],
      [p('server_max_window_bits'), /needs a value/],
      [p('client_max_window_bits'), /needs a value in a response/],
      [p('server_max_window_bits=16'), /invalid/],
      [p('client_max_window_bits=7'), /invalid/],
    ];
    for (const [params, reason] of cases) {
      expect(client.checkResponse(params), text(params) ?? '').toMatch(reason);
      expect(() => client.agreement(params)).toThrow(TypeError);
    }
  });

  it('fails on responses that accept nothing it offered', () => {
    const noClientBits = new PerMessageDeflateClient({ clientMaxWindowBits: false });
    expect(noClientBits.checkResponse(p('client_max_window_bits=10'))).toMatch(/not offered/);

    const strict = new PerMessageDeflateClient({
      serverNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    });
    expect(strict.checkResponse(p('server_max_window_bits=10'))).toMatch(
      /server_no_context_takeover was requested/,
    );
    expect(strict.checkResponse(p('server_no_context_takeover'))).toMatch(
      /server_max_window_bits was requested/,
    );
    expect(
      strict.checkResponse(p('server_no_context_takeover', 'server_max_window_bits=11')),
    ).toMatch(/exceeds the requested 10/);
    expect(
      strict.checkResponse(
        p('server_no_context_takeover', 'server_max_window_bits=9', 'client_max_window_bits=12'),
      ),
    ).toMatch(/exceeds the offered 11/);
    const ok = p('server_no_context_takeover', 'server_max_window_bits=9');
    expect(strict.checkResponse(ok)).toBeNull();
    // Our own promise (client_max_window_bits=11) holds though the server did not repeat it.
    expect(strict.agreement(ok).clientMaxWindowBits).toBe(11);
  });

  it('matches a response against every offer, in order', () => {
    const client = new PerMessageDeflateClient({
      offers: [
        { serverMaxWindowBits: 10, clientNoContextTakeover: true },
        { clientMaxWindowBits: false },
      ],
    });
    // No server_max_window_bits: cannot accept offer 1, fits offer 2.
    const second = client.agreement(p('server_no_context_takeover'));
    expect(second).toMatchObject({ serverMaxWindowBits: 15, clientNoContextTakeover: false });
    // Fits offer 1: our client_no_context_takeover promise is kept.
    expect(client.agreement(p('server_max_window_bits=10'))).toMatchObject({
      serverMaxWindowBits: 10,
      clientNoContextTakeover: true,
    });
    // Fits neither.
    expect(
      client.checkResponse(p('client_max_window_bits=9', 'server_max_window_bits=12')),
    ).toMatch(/matches none of the offers/);
  });

  it('refuses bad options', () => {
    expect(() => new PerMessageDeflateClient({ serverMaxWindowBits: 7 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateClient({ clientMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateClient({ offers: [] })).toThrow(RangeError);
  });
});

describe('client and server agree (property)', () => {
  it('every client offer list is answered with a response the client accepts, with the same agreement', () => {
    const bits = fc.integer({ min: 8, max: 15 });
    const offer = fc.record(
      {
        serverNoContextTakeover: fc.boolean(),
        clientNoContextTakeover: fc.boolean(),
        serverMaxWindowBits: bits,
        clientMaxWindowBits: fc.oneof(fc.boolean(), bits),
      },
      { requiredKeys: [] },
    );
    const serverOptions = fc.record(
      {
        serverNoContextTakeover: fc.boolean(),
        clientNoContextTakeover: fc.boolean(),
        serverMaxWindowBits: fc.integer({ min: 9, max: 15 }),
        clientMaxWindowBits: bits,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.array(offer, { minLength: 1, maxLength: 3 }),
        serverOptions,
        (offers, options) => {
          const client = new PerMessageDeflateClient({ offers });
          const server = new PerMessageDeflateServer(options);
          const sel = server.select(client.offer());
          expect(sel).not.toBeNull();
          expect(client.checkResponse(sel!.response)).toBeNull();
          const mine = client.agreement(sel!.response);
          expect({ ...mine, role: 'server' }).toEqual(sel!.agreement);
          // The accepted offer's requests are honoured.
          const accepted = offers[sel!.offerIndex]!;
          if (accepted.serverNoContextTakeover) expect(mine.serverNoContextTakeover).toBe(true);
          if (accepted.serverMaxWindowBits !== undefined) {
            expect(mine.serverMaxWindowBits).toBeLessThanOrEqual(accepted.serverMaxWindowBits);
          }
          if (typeof accepted.clientMaxWindowBits === 'number') {
            expect(mine.clientMaxWindowBits).toBeLessThanOrEqual(accepted.clientMaxWindowBits);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
