#!/usr/bin/env python3
"""Talk to a reference Chia node over the real wire (WSS + mutual TLS, Chia CA) and record the raw frames.

Run with .interop/venv/bin/python.

  dial   --port P [--host 127.0.0.1] [--source 127.0.0.2] ...   we dial the node, send our Handshake first
  listen --port Q [--host 127.0.0.2] [--wait S] ...             the node dials us (full_node_peers), we answer

Every frame in either direction is written as one JSON line (stdout, or --out FILE):
  {"dir": "in"|"out", "t": seconds since connect, "hex": raw frame, "type", "type_name", "id", "class", "json"}
plus {"event": ...} lines (connected, closed with code, timeout). A short summary goes to stderr.

Loopback only: --host/--source must be loopback addresses. Every wait is bounded (--seconds, --wait).
Note: the reference exempts exactly "127.0.0.1"/"::1"/"localhost" from bans, rate limits and the inbound handshake
timeout (chia.util.network.is_localhost); use --source 127.0.0.2 (dial) or --host 127.0.0.2 (listen) to be treated
like a remote peer.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chia_types  # noqa: E402

MAX_MESSAGE_SIZE = 50 * 1024 * 1024  # chia/server/server.py max_message_size


def loopback(text: str) -> str:
    if not ipaddress.ip_address(text).is_loopback:
        raise argparse.ArgumentTypeError(f"{text} is not a loopback address")
    return text


def make_tls(tmp: Path, server: bool) -> Any:
    """A fresh node certificate signed by the public Chia CA, in the same SSL context chia itself uses."""
    from chia.server.server import ssl_context_for_client, ssl_context_for_server
    from chia.ssl.create_ssl import generate_ca_signed_cert, get_chia_ca_crt_key

    ca_crt, ca_key = get_chia_ca_crt_key()
    (tmp / "chia_ca.crt").write_bytes(ca_crt)
    (tmp / "chia_ca.key").write_bytes(ca_key)
    generate_ca_signed_cert(ca_crt, ca_key, tmp / "node.crt", tmp / "node.key")
    make = ssl_context_for_server if server else ssl_context_for_client
    return make(tmp / "chia_ca.crt", tmp / "chia_ca.key", tmp / "node.crt", tmp / "node.key", check_permissions=False)


def build_handshake(a: argparse.Namespace, server_port: int) -> bytes:
    from chia_rs.sized_ints import uint8, uint16

    from chia.protocols.outbound_message import Message
    from chia.protocols.protocol_message_types import ProtocolMessageTypes
    from chia.protocols.shared_protocol import Handshake

    caps = [(uint16(int(c)), v) for c, _, v in (x.partition("=") for x in a.capabilities.split(",") if x)]
    hs = Handshake(a.network, a.protocol_version, a.software_version, uint16(server_port), uint8(a.node_type), caps)
    return bytes(Message(uint8(ProtocolMessageTypes.handshake.value), None, bytes(hs)))


class Recorder:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.t0 = time.monotonic()
        self.frames: list[dict[str, Any]] = []

    def event(self, name: str, **kw: Any) -> None:
        self._write({"event": name, "t": round(time.monotonic() - self.t0, 3), **kw})

    def frame(self, direction: str, raw: bytes) -> dict[str, Any]:
        rec: dict[str, Any] = {"dir": direction, "t": round(time.monotonic() - self.t0, 3), "hex": raw.hex()}
        try:
            mtype, mid, data = chia_types.parse_message(raw)
            rec.update(type=mtype, type_name=chia_types.message_type_name(mtype), id=mid, data_len=len(data))
            name = chia_types.message_class_names().get(mtype)
            cls = name and (chia_types.py_class(name) or chia_types.rs_class(name))
            if cls is not None:
                rec["class"] = name
                rec["json"] = chia_types.decode(cls, data).to_json_dict()
        except Exception as e:  # keep the raw bytes whatever happens
            rec["decode_error"] = f"{type(e).__name__}: {e}"
        self.frames.append(rec)
        self._write(rec)
        return rec

    def _write(self, rec: dict[str, Any]) -> None:
        self.out.write(json.dumps(rec) + "\n")
        self.out.flush()


async def pump(ws: Any, rec: Recorder, a: argparse.Namespace, sent_caps: set[int]) -> None:
    """Record incoming frames until --seconds, a close, or an error. Echo ConfigureWindowSizes if v3 negotiated."""
    import aiohttp

    from chia.protocols.protocol_message_types import ProtocolMessageTypes

    deadline = time.monotonic() + a.seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await asyncio.wait_for(ws.receive(), timeout=left)
        except asyncio.TimeoutError:
            rec.event("seconds_elapsed")
            break
        if msg.type == aiohttp.WSMsgType.BINARY:
            r = rec.frame("in", bytes(msg.data))
            if r.get("type") == ProtocolMessageTypes.handshake.value:
                theirs = {int(c[0]) for c in r.get("json", {}).get("capabilities", []) if c[1] == "1"}
                rec.event("handshake_received", v3=7 in theirs and 7 in sent_caps)
                v3 = 7 in theirs and 7 in sent_caps
                if not v3:
                    await send_extra(ws, rec, a)
            if r.get("type") == ProtocolMessageTypes.configure_window_sizes.value and 7 in sent_caps:
                # The peer's own settings are valid for this node version: echo them (RATE_LIMITS_V3 step 2).
                raw = bytes.fromhex(r["hex"])
                await ws.send_bytes(raw)
                rec.frame("out", raw)
                await send_extra(ws, rec, a)
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            rec.event("closed", code=ws.close_code, reason=str(msg.extra or ""))
            return
        elif msg.type == aiohttp.WSMsgType.ERROR:
            rec.event("error", error=repr(ws.exception()))
            return
        else:
            rec.event("non_binary_frame", ws_type=str(msg.type), data=str(msg.data)[:200])
    await ws.close()
    rec.event("closed_by_probe", code=ws.close_code)


def build_extra(spec: str) -> bytes:
    """`type_name:payload_hex[:id]` -> Message bytes."""
    from chia_rs.sized_ints import uint8, uint16

    from chia.protocols.outbound_message import Message
    from chia.protocols.protocol_message_types import ProtocolMessageTypes

    name, _, rest = spec.partition(":")
    payload_hex, _, msg_id = rest.partition(":")
    return bytes(
        Message(
            uint8(ProtocolMessageTypes[name].value),
            uint16(int(msg_id)) if msg_id else None,
            bytes.fromhex(payload_hex),
        )
    )


async def send_extra(ws: Any, rec: Recorder, a: argparse.Namespace) -> None:
    """Messages given with --send, once the handshake (and v3 window exchange) is done."""
    for spec in a.send:
        raw = build_extra(spec)
        await ws.send_bytes(raw)
        rec.frame("out", raw)


async def dial(a: argparse.Namespace, rec: Recorder) -> int:
    import aiohttp

    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        ctx = make_tls(Path(tmp), server=False)
        connector = aiohttp.TCPConnector(local_addr=(a.source, 0) if a.source else None)
        timeout = aiohttp.ClientTimeout(total=a.connect_timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            url = f"wss://{a.host}:{a.port}/ws"
            try:
                ws = await session.ws_connect(
                    url, ssl=ctx, max_msg_size=MAX_MESSAGE_SIZE, autoping=True, autoclose=True
                )
            except aiohttp.WSServerHandshakeError as e:  # e.g. HTTP 403 from a node that banned us
                rec.event("rejected", url=url, status=e.status, message=str(e.message))
                return 3
            sock = ws.get_extra_info("socket")
            rec.event("connected", url=url, local=list(sock.getsockname()) if sock else None)
            hs = build_handshake(a, a.server_port)
            await ws.send_bytes(hs)
            rec.frame("out", hs)
            await pump(ws, rec, a, caps_of(a))
    return 0


async def listen(a: argparse.Namespace, rec: Recorder) -> int:
    from aiohttp import web

    done = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_SIZE)
        await ws.prepare(request)
        if done.is_set():  # one connection per run; later re-dials are just closed
            await ws.close()
            return ws
        rec.event("accepted", remote=request.remote)
        try:
            first = await asyncio.wait_for(ws.receive(), timeout=a.seconds)
            rec.frame("in", bytes(first.data) if isinstance(first.data, bytes) else b"")
            hs = build_handshake(a, a.port)
            await ws.send_bytes(hs)
            rec.frame("out", hs)
            await pump(ws, rec, a, caps_of(a))
        finally:
            done.set()
        return ws

    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        ctx = make_tls(Path(tmp), server=True)
        app = web.Application()
        app.add_routes([web.get("/ws", handler)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, a.host, a.port, ssl_context=ctx)
        await site.start()
        rec.event("listening", host=a.host, port=a.port)
        try:
            await asyncio.wait_for(done.wait(), timeout=a.wait + a.seconds)
        except asyncio.TimeoutError:
            rec.event("timeout", waited=a.wait + a.seconds)
            return 2
        finally:
            await runner.cleanup()
    return 0


def caps_of(a: argparse.Namespace) -> set[int]:
    return {int(x.partition("=")[0]) for x in a.capabilities.split(",") if x and x.endswith("=1")}


def summarize(rec: Recorder) -> None:
    for r in rec.frames:
        if r.get("type_name") == "handshake":
            print(f"{r['dir']:>3} handshake ({len(r['hex']) // 2} bytes): {r['hex']}", file=sys.stderr)
            print(f"    {json.dumps(r.get('json'))}", file=sys.stderr)
        else:
            print(f"{r['dir']:>3} {r.get('type_name')} id={r.get('id')} ({len(r['hex']) // 2} bytes)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import chia
    from chia.protocols.shared_protocol import protocol_version

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("dial", "listen"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--network", default="mainnet")
        p.add_argument("--node-type", type=int, default=1, help="our NodeType (1 full node, 6 wallet, ...)")
        p.add_argument("--protocol-version", default=None, help="default: chia's protocol_version for --node-type")
        p.add_argument("--software-version", default=chia.__version__)
        p.add_argument("--capabilities", default="1=1,2=1,3=1,5=1", help="id=value,... (add 7=1 for RATE_LIMITS_V3)")
        p.add_argument("--seconds", type=float, default=5.0, help="how long to record after the handshake")
        p.add_argument("--out", type=Path, help="JSON lines file (default stdout)")
        p.add_argument("--send", action="append", default=[], metavar="TYPE:PAYLOAD_HEX[:ID]",
                       help="message to send after the handshake, e.g. request_block:0000000200:1 (repeatable)")
        if name == "dial":
            p.add_argument("--host", type=loopback, default="127.0.0.1")
            p.add_argument("--source", type=loopback, help="local address to dial from (e.g. 127.0.0.2)")
            p.add_argument("--server-port", type=int, default=0, help="server_port in our Handshake")
            p.add_argument("--connect-timeout", type=float, default=30.0)
        else:
            p.add_argument("--host", type=loopback, default="127.0.0.2")
            p.add_argument("--wait", type=float, default=60.0, help="max seconds to wait for the node to dial")
    a = ap.parse_args(argv)
    if a.protocol_version is None:
        from chia.protocols.outbound_message import NodeType

        a.protocol_version = protocol_version[NodeType(a.node_type)]
    out = open(a.out, "w") if a.out else sys.stdout
    rec = Recorder(out)
    try:
        rc = asyncio.run(dial(a, rec) if a.cmd == "dial" else listen(a, rec))
    finally:
        summarize(rec)
        if a.out:
            out.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
