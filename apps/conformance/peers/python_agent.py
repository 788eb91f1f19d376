"""python3-websockets as a client agent of the fuzzing server (see agent.js for the protocol).

Usage: python_agent.py <base-url>   (base ends with '/')
Echoes every message with its type; reports each case's events in the next URL's query.
"""

import asyncio
import json
import sys
import urllib.parse

import websockets

BASE = sys.argv[1]


async def once(url):
    events = []
    try:
        async with websockets.connect(url, max_size=2**25, open_timeout=10, close_timeout=3) as ws:
            events.append("open")
            try:
                async for message in ws:
                    await ws.send(message)
            except websockets.ConnectionClosed:
                pass
            code = ws.close_code if ws.close_code is not None else 1006
            clean = ws.close_rcvd is not None and ws.close_sent is not None
            events.append(f"close:{code}:{'clean' if clean else 'unclean'}")
            return events, code == 4999 and ws.close_reason == "conformance:done"
    except Exception as error:  # handshake refused or connection failed
        events.append("error")
        events.append(f"close:1006:unclean:{type(error).__name__}")
        return events, False


def payload(kind, size, seed):
    if kind == "text":
        unit = "Strata ✓ κόσμε — "
        n = size // len(unit.encode())
        return unit * n + "x" * (size - n * len(unit.encode()))
    x = seed
    out = bytearray(size)
    for i in range(size):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out)


async def exchange(url):
    """The interop exchange of agent.js, from python: every echo checked, then close 1000."""
    problems = []
    sizes = [("text", 0), ("text", 5), ("binary", 0), ("binary", 125), ("binary", 126),
             ("text", 65535), ("binary", 65536), ("text", 1048576), ("binary", 2097152)]
    async with websockets.connect(url, max_size=2**25) as ws:
        extensions = ", ".join(e.name for e in ws.extensions)
        for i, (kind, size) in enumerate(sizes):
            sent = payload(kind, size, i + 1)
            await ws.send(sent)
            got = await ws.recv()
            if got != sent:
                problems.append(f"echo {i + 1} differs ({kind} {size})")
        await ws.close(1000, "bye")
        if ws.close_code != 1000:
            problems.append(f"closed with {ws.close_code}")
    print(json.dumps({"ok": not problems, "problems": problems, "extensions": extensions,
                      "close": ws.close_code}))


async def main():
    if BASE == "exchange":
        await asyncio.wait_for(exchange(sys.argv[2]), 60)
        return
    prev = ""
    for _ in range(2000):
        events, done = await asyncio.wait_for(
            once(f"{BASE}next?prev={urllib.parse.quote(prev)}"), 60
        )
        if done:
            break
        prev = ",".join(events)
    print(json.dumps({"done": True}))


asyncio.run(main())
