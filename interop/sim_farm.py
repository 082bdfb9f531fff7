#!/usr/bin/env python3
"""Make blocks on a running simulator root (reference.py init --simulator) via its RPC, and optionally dump them.

  .interop/venv/bin/python interop/sim_farm.py ROOT --blocks 5 [--tx] [--dump FILE]

--dump writes every block of the chain as records (u32 BE length + FullBlock bytes), readable by decode_rs.py
with --class FullBlock. Prints one JSON summary line. Every RPC call has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

RPC_TIMEOUT_S = 120.0


async def farm(root: Path, blocks: int, tx: bool, dump: Path | None) -> dict[str, object]:
    from chia_rs.sized_ints import uint16

    from chia.simulator.simulator_full_node_rpc_client import SimulatorFullNodeRpcClient
    from chia.util.config import load_config

    config = load_config(root, "config.yaml")
    rpc_port = uint16(config["full_node"]["rpc_port"])
    client = await SimulatorFullNodeRpcClient.create(config["self_hostname"], rpc_port, root, config)
    try:
        ph = await asyncio.wait_for(client.get_farming_ph(), RPC_TIMEOUT_S)
        state0 = await asyncio.wait_for(client.get_blockchain_state(), RPC_TIMEOUT_S)
        t0 = time.monotonic()
        if blocks > 0:
            await asyncio.wait_for(client.farm_block(ph, blocks, guarantee_tx_block=tx), RPC_TIMEOUT_S)
        elapsed = time.monotonic() - t0
        state = await asyncio.wait_for(client.get_blockchain_state(), RPC_TIMEOUT_S)
        peak = state["peak"]
        out: dict[str, object] = {
            "height_before": None if state0["peak"] is None else int(state0["peak"].height),
            "height": None if peak is None else int(peak.height),
            "peak_hash": None if peak is None else "0x" + bytes(peak.header_hash).hex(),
            "farmed": blocks,
            "seconds": round(elapsed, 2),
        }
        if dump is not None:
            all_blocks = await asyncio.wait_for(client.get_all_blocks(), RPC_TIMEOUT_S)
            with open(dump, "wb") as f:
                for b in all_blocks:
                    raw = bytes(b)
                    f.write(len(raw).to_bytes(4, "big") + raw)
            out["dumped"] = len(all_blocks)
            out["dump"] = str(dump)
        return out
    finally:
        client.close()
        await client.await_closed()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", type=Path)
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--tx", action="store_true", help="guarantee_tx_block: each farmed block is a transaction block")
    ap.add_argument("--dump", type=Path)
    a = ap.parse_args()
    root = a.root.resolve()
    os.environ["CHIA_ROOT"] = str(root)
    os.environ["CHIA_KEYS_ROOT"] = str(root / "keys")
    print(json.dumps(asyncio.run(farm(root, a.blocks, a.tx, a.dump))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
