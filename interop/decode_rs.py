#!/usr/bin/env python3
"""Decode Chia streamable records with chia_rs (and the Python streamable classes) and print JSON lines.

Run with .interop/venv/bin/python.

Input (FILE or - for stdin):
  --format records    u32 BE length + payload, repeated (like protocol_messages_bytes-v1.0)     [default]
  --format messages   u32 BE length + Message envelope (type u8, Optional[u16] id, u32-length data), repeated;
                      the payload class comes from the message type
  --format hex        one hex string per line, each a bare payload (or a Message with --envelope)
Class names (records / hex payloads):
  --classes FILE.json  JSON array of objects with "message" (protocol_messages.json), or of plain strings
  --class NAME         one class for every record (e.g. FullBlock)
Decoders: --decoder rs | py | both (default both). rs = the chia_rs class of that name, py = the Python-defined
@streamable class in chia.protocols.* (not a chia_rs re-export). Each decoder must consume every byte.
--expect FILE.json compares each to_json_dict() with the "json" member of the --classes entries.

Output: one JSON line per record and decoder: {"index", "class", "decoder", "ok", "json" | "error", "match"?}.
A summary line goes to stderr (and with --summary-json also to stdout as the last line).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chia_types  # noqa: E402


def read_length_prefixed(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset, index = 0, 0
    while offset < len(data):
        if len(data) - offset < 4:
            raise ValueError(f"record {index}: {len(data) - offset} trailing bytes, too few for a length prefix")
        n = int.from_bytes(data[offset : offset + 4], "big")
        if n > len(data) - offset - 4:
            raise ValueError(f"record {index}: length {n} exceeds the {len(data) - offset - 4} bytes left")
        yield index, data[offset + 4 : offset + 4 + n]
        offset += 4 + n
        index += 1


def load_classes(path: Path) -> list[dict[str, Any]]:
    entries = json.loads(path.read_text())
    return [{"message": e} if isinstance(e, str) else e for e in entries]


def decode_one(cls: type | None, payload: bytes) -> dict[str, Any]:
    if cls is None:
        return {"ok": False, "error": "no such class"}
    try:
        return {"ok": True, "json": chia_types.decode(cls, payload).to_json_dict()}
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="file, or - for stdin")
    ap.add_argument("--format", choices=["records", "messages", "hex"], default="records")
    ap.add_argument("--envelope", action="store_true", help="with --format hex: each line is a Message")
    ap.add_argument("--classes", type=Path)
    ap.add_argument("--class", dest="cls")
    ap.add_argument("--decoder", choices=["rs", "py", "both"], default="both")
    ap.add_argument("--expect", action="store_true", help="compare with the 'json' member of --classes entries")
    ap.add_argument("--quiet", action="store_true", help="omit the decoded json from the output lines")
    ap.add_argument("--summary-json", action="store_true")
    a = ap.parse_args(argv)

    data = sys.stdin.buffer.read() if a.input == "-" else Path(a.input).read_bytes()
    if a.format == "hex":
        items = [(i, bytes.fromhex(line.strip())) for i, line in enumerate(data.decode().splitlines()) if line.strip()]
    else:
        items = list(read_length_prefixed(data))
    envelope = a.format == "messages" or (a.format == "hex" and a.envelope)
    entries = load_classes(a.classes) if a.classes else None
    if entries is not None and not envelope and len(entries) != len(items):
        print(f"warning: {len(items)} records but {len(entries)} class entries", file=sys.stderr)
    decoders = ["rs", "py"] if a.decoder == "both" else [a.decoder]

    counts: dict[str, int] = {"records": len(items)}
    for d in decoders:
        counts.update({f"{d}_has_class": 0, f"{d}_ok": 0, f"{d}_failed": 0, f"{d}_match": 0, f"{d}_mismatch": 0})
    counts["any_ok"] = 0
    out = sys.stdout
    for index, raw in items:
        head: dict[str, Any] = {"index": index}
        payload = raw
        name: str | None = None
        if envelope:
            try:
                mtype, mid, payload = chia_types.parse_message(raw)
            except Exception as e:
                out.write(json.dumps({**head, "ok": False, "error": f"bad Message envelope: {e}"}) + "\n")
                continue
            name = chia_types.message_class_names().get(mtype)
            head.update(type=mtype, type_name=chia_types.message_type_name(mtype), id=mid)
        if name is None:
            name = a.cls or (entries[index]["message"] if entries and index < len(entries) else None)
        if name is None:
            out.write(json.dumps({**head, "ok": False, "error": "no class name for this record"}) + "\n")
            continue
        head["class"] = name
        expected = entries[index].get("json") if (a.expect and entries and index < len(entries)) else None
        any_ok = False
        for d in decoders:
            cls = chia_types.rs_class(name) if d == "rs" else chia_types.py_class(name)
            res = decode_one(cls, payload)
            if cls is not None:
                counts[f"{d}_has_class"] += 1
                counts[f"{d}_ok" if res["ok"] else f"{d}_failed"] += 1
            any_ok = any_ok or res["ok"]
            line = {**head, "decoder": d, **res}
            if res["ok"] and expected is not None:
                line["match"] = res["json"] == expected
                counts[f"{d}_match" if line["match"] else f"{d}_mismatch"] += 1
            if a.quiet:
                line.pop("json", None)
            out.write(json.dumps(line) + "\n")
        counts["any_ok"] += any_ok
    summary = {"summary": counts}
    print(json.dumps(summary), file=sys.stderr)
    if a.summary_json:
        out.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
