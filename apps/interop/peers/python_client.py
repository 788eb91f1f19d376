"""python3-websockets client against a Strata echo server (apps/interop/test/helpers.ts).

Usage: python_client.py ws://127.0.0.1:PORT/ deflate|none

Connection 1 sends text and binary messages (empty, multi-byte UTF-8, large, fragmented),
checks each echo (same type, same content), pings, and closes with 4000. Connection 2 asks
the server to close (text "close:4001:...") and records the close frame it receives.
Connection 3 gets an echo over its max_size and fails with 1009.
Prints one JSON line with what it observed; the vitest suite asserts on it.
"""

import asyncio
import json
import logging
import random
import sys

import websockets

URL = sys.argv[1]
COMPRESSION = "deflate" if sys.argv[2] == "deflate" else None
TIMEOUT = 20
# How long the client waits for the server to close TCP after the closing handshake
# (RFC 6455 7.1.1: the server closes first). websockets logs when it gives up.
CLOSE_TIMEOUT = 3


class TcpCloseWatch(logging.Handler):
    """Counts websockets' "timed out waiting for TCP close" debug lines."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.timeouts = 0

    def emit(self, record):
        if "timed out waiting for TCP close" in record.getMessage():
            self.timeouts += 1


WATCH = TcpCloseWatch()
_logger = logging.getLogger("websockets.client")
_logger.setLevel(logging.DEBUG)
_logger.addHandler(WATCH)
_logger.propagate = False


def large_text(size):
    unit = "Strata ✓ WebSocket — 你好 🌍 permessage-deflate; "
    repeat = size // len(unit.encode("utf-8")) + 1
    return unit * repeat


MESSAGES = [
    ("text", "hello"),
    ("empty text", ""),
    ("multi-byte text", "héllo wörld — 你好 🌍 𝄞"),
    ("empty binary", b""),
    ("binary 0..255", bytes(range(256))),
    ("large text (1 MiB, compressible)", large_text(1 << 20)),
    ("large binary (2 MiB, random)", random.Random(6455).randbytes(2 << 20)),
    ("length 125", b"\x01" * 125),
    ("length 126", b"\x02" * 126),
    ("length 65535", b"\x03" * 65535),
    ("length 65536", b"\x04" * 65536),
]

FRAGMENTED = [
    ("fragmented text", ["frag", "mént", "ed 🌍"]),
    ("fragmented binary", [b"\x00\x01", b"", b"\x02\x03" * 1000]),
]


def kind(value):
    return "text" if isinstance(value, str) else "binary"


def size(value):
    return len(value.encode("utf-8")) if isinstance(value, str) else len(value)


async def exchange(report):
    async with websockets.connect(
        URL, compression=COMPRESSION, max_size=16 << 20, close_timeout=CLOSE_TIMEOUT
    ) as ws:
        report["extensionsHeader"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        report["extensions"] = [extension.name for extension in ws.extensions]
        results = []
        for name, value in MESSAGES:
            await ws.send(value)
            echoed = await asyncio.wait_for(ws.recv(), TIMEOUT)
            results.append(
                {
                    "name": name,
                    "sent": kind(value),
                    "received": kind(echoed),
                    "equal": echoed == value,
                    "bytes": size(value),
                }
            )
        for name, fragments in FRAGMENTED:
            await ws.send(iter(fragments))
            echoed = await asyncio.wait_for(ws.recv(), TIMEOUT)
            whole = fragments[0][:0].join(fragments)
            results.append(
                {
                    "name": name,
                    "sent": kind(whole),
                    "received": kind(echoed),
                    "equal": echoed == whole,
                    "bytes": size(whole),
                }
            )
        report["messages"] = results
        pong = await ws.ping(b"strata?")
        await asyncio.wait_for(pong, TIMEOUT)
        report["pong"] = True
        await ws.close(4000, "python bye ✓")
        report["close"] = {"code": ws.close_code, "reason": ws.close_reason}
    report["close"]["tcpCloseTimedOut"] = WATCH.timeouts > 0


async def server_close(report):
    WATCH.timeouts = 0
    async with websockets.connect(URL, compression=COMPRESSION, close_timeout=CLOSE_TIMEOUT) as ws:
        await ws.send("close:4001:server bye ✓")
        try:
            extra = await asyncio.wait_for(ws.recv(), TIMEOUT)
            report["serverClose"] = {"unexpectedMessage": repr(extra)[:100]}
            return
        except websockets.ConnectionClosed:
            pass
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        report["serverClose"] = {"code": ws.close_code, "reason": ws.close_reason}
    report["serverClose"]["tcpCloseTimedOut"] = WATCH.timeouts > 0


async def too_big(report):
    """python refuses an echo over its max_size (1 KiB) and closes with 1009."""
    async with websockets.connect(
        URL, compression=COMPRESSION, max_size=1024, close_timeout=CLOSE_TIMEOUT
    ) as ws:
        await ws.send("é" * 1000)  # 2000 bytes: the server's echo is too big for python
        try:
            extra = await asyncio.wait_for(ws.recv(), TIMEOUT)
            report["tooBig"] = {"unexpectedMessage": repr(extra)[:100]}
            return
        except websockets.ConnectionClosed:
            pass
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        report["tooBig"] = {
            "sent": ws.close_sent.code if ws.close_sent else None,
            "received": ws.close_rcvd.code if ws.close_rcvd else None,
        }


async def main():
    report = {"websockets": websockets.__version__}
    try:
        await exchange(report)
        await server_close(report)
        await too_big(report)
    except Exception as error:  # reported, asserted by the suite
        report["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(report, ensure_ascii=False), flush=True)


asyncio.run(main())
