#!/usr/bin/env python3
"""Decode throughput of the reference's decoders, for bench/codec-vs-reference.mjs (run under .interop/venv).

Reads a job (JSON) on stdin: {"rounds", "round_ms", "warmup_ms", "workloads": [{"id", "envelope": bool,
"items": [{"cls": ClassName | null, "hex": "..."}]}]}. For each workload and decoder it decodes every item it has a
class for, in a loop: warm-up, then `rounds` rounds of at least `round_ms`; reports the median seconds per pass.
  rs: the chia_rs class of that name (Message envelopes: chia_rs.Message, then the payload class); `from_bytes`
      checks every BLS G1/G2 point (decompression + subgroup check), which dominates for blocks.
  rs_unchecked: the same with `from_bytes_unchecked` (no point checks; what our codec does: it keeps the 48/96 bytes).
  py: the Python-defined @streamable class in chia.protocols.* (envelopes: chia's Python Message); many payload
      classes are chia_rs re-exports and have none, so py covers a subset, reported by item index.
Items a decoder refuses (e.g. official vectors with placeholder BLS points, which chia's point checks reject) are left
out of its timing and listed in "rejected".
Prints one JSON object: {"versions", "results": [{"id", "decoder", "indices", "count", "bytes", "seconds", "rejected"}]}.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chia_types  # noqa: E402


def decoder_for(kind: str, cls_name: str | None, envelope: bool) -> Callable[[bytes], Any] | None:
    if envelope:
        import chia_rs

        from chia.protocols.outbound_message import Message as PyMessage

        message_cls = PyMessage if kind == "py" else chia_rs.Message
        rs = kind != "py"
        unchecked = kind == "rs_unchecked"

        def decode_frame(raw: bytes) -> Any:
            msg = message_cls.from_bytes(raw)
            # chia_rs.Message names the field msg_type; chia's Python Message names it type.
            name = chia_types.message_class_names().get(int(msg.msg_type if rs else msg.type))
            cls = name and (chia_types.rs_class(name) if rs else chia_types.py_class(name))
            if cls is None:
                raise LookupError(name)
            return cls.from_bytes_unchecked(bytes(msg.data)) if unchecked else cls.from_bytes(bytes(msg.data))

        return decode_frame
    if cls_name is None:
        return None
    cls = chia_types.py_class(cls_name) if kind == "py" else chia_types.rs_class(cls_name)
    if cls is None:
        return None
    return cls.from_bytes_unchecked if kind == "rs_unchecked" else cls.from_bytes


def frame_has_class(kind: str, raw: bytes) -> bool:
    _, _, _ = chia_types.parse_message(raw)
    name = chia_types.message_class_names().get(raw[0])
    return bool(name) and (chia_types.py_class(name) if kind == "py" else chia_types.rs_class(name)) is not None


def measure(fns: list[tuple[Callable[[bytes], Any], bytes]], rounds: int, round_ms: float, warmup_ms: float) -> float:
    def one_pass() -> None:
        for fn, raw in fns:
            fn(raw)

    t0 = time.perf_counter()
    passes = 0
    while (time.perf_counter() - t0) * 1000 < warmup_ms or passes == 0:
        one_pass()
        passes += 1
    per_round = max(1, int(passes * round_ms / warmup_ms + 0.5))
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(per_round):
            one_pass()
        times.append((time.perf_counter() - t) / per_round)
    return statistics.median(times)


def main() -> int:
    from importlib.metadata import version

    job = json.load(sys.stdin)
    results = []
    for w in job["workloads"]:
        items = [(i, it.get("cls"), bytes.fromhex(it["hex"])) for i, it in enumerate(w["items"])]
        for kind in ("rs", "rs_unchecked", "py"):
            fns: list[tuple[Callable[[bytes], Any], bytes]] = []
            indices: list[int] = []
            rejected: list[str] = []
            for i, cls_name, raw in items:
                if w["envelope"] and not frame_has_class(kind, raw):
                    continue
                fn = decoder_for(kind, cls_name, w["envelope"])
                if fn is None:
                    continue
                try:
                    fn(raw)  # must decode (and consume every byte) before it is timed
                except Exception as e:  # e.g. a vector's fake G2 point, which chia's point validation refuses
                    rejected.append(f"#{i} {cls_name or 'frame'}: {type(e).__name__}: {str(e)[:80]}")
                    continue
                fns.append((fn, raw))
                indices.append(i)
            if not fns:
                results.append({"id": w["id"], "decoder": kind, "indices": [], "count": 0, "bytes": 0, "seconds": None,
                                "rejected": rejected})
                continue
            seconds = measure(fns, job["rounds"], job["round_ms"], job["warmup_ms"])
            results.append(
                {"id": w["id"], "decoder": kind, "indices": indices, "count": len(fns),
                 "bytes": sum(len(raw) for _, raw in fns), "seconds": seconds, "rejected": rejected}
            )
    versions = {"chia-blockchain": version("chia-blockchain"), "chia_rs": version("chia_rs"), "python": sys.version.split()[0]}
    print(json.dumps({"versions": versions, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
