#!/usr/bin/env bash
# End-to-end check of the interop harness parts, all on loopback, every wait bounded (~1-2 min total):
#   setup -> mainnet-config reference node (dial it from 127.0.0.2, and let it dial us on 127.0.0.2)
#   -> simulator reference node, farm 5 blocks, fetch one over P2P -> decode the official vectors.
# Output: .interop/smoke/ (roots with logs, *.jsonl captures). Env: PORT_BASE (default 28444).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
bash "$here/setup.sh"
P="$repo/.interop/venv/bin/python"
out="$repo/.interop/smoke"
rm -rf "$out"; mkdir -p "$out"
base="${PORT_BASE:-28444}"
node_port=$base; our_port=$((base + 1)); sim_port=$((base + 2))
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_ready() { # file, seconds
  for _ in $(seq 1 "$2"); do grep -q READY "$1" && return 0; grep -q "Error\|exited" "$1" && break; sleep 1; done
  echo "smoke: node not ready, see $1" >&2; cat "$1" >&2; return 1
}

echo "== mainnet-config node on $node_port, full_node_peers 127.0.0.2:$our_port, rate_limits 3"
"$P" "$here/reference.py" init "$out/main" --port "$node_port" --rate-limits 3 --peer "127.0.0.2:$our_port" >/dev/null
"$P" "$here/reference.py" run "$out/main" --duration 90 >"$out/main.run" 2>&1 & pids+=($!)
wait_ready "$out/main.run" 60
timeout 60 "$P" "$here/probe.py" listen --host 127.0.0.2 --port "$our_port" --capabilities 1=1,2=1,3=1,5=1,7=1 \
  --seconds 3 --wait 30 --out "$out/listen.jsonl"
timeout 60 "$P" "$here/probe.py" dial --port "$node_port" --source 127.0.0.2 --capabilities 1=1,2=1,3=1,5=1,7=1 \
  --seconds 3 --out "$out/dial.jsonl"
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true

echo "== simulator node on $sim_port"
"$P" "$here/reference.py" init "$out/sim" --port "$sim_port" --simulator --log-level INFO >/dev/null 2>"$out/sim.init"
"$P" "$here/reference.py" run "$out/sim" --duration 90 >"$out/sim.run" 2>&1 & pids+=($!)
wait_ready "$out/sim.run" 60
timeout 120 "$P" "$here/sim_farm.py" "$out/sim" --blocks 5 --dump "$out/blocks.bin"
timeout 60 "$P" "$here/probe.py" dial --port "$sim_port" --source 127.0.0.2 --network simulator0 --seconds 3 \
  --send request_block:0000000200:1 --out "$out/sim_dial.jsonl"
"$P" "$here/decode_rs.py" "$out/blocks.bin" --class FullBlock --decoder rs --quiet >/dev/null
kill -TERM "${pids[1]}"; wait "${pids[1]}" || true

echo "== official vectors"
V="$repo/../shared/vectors/chia"
if [ -f "$V/protocol_messages_bytes-v1.0" ]; then
  "$P" "$here/decode_rs.py" "$V/protocol_messages_bytes-v1.0" --classes "$V/protocol_messages.json" --expect --quiet \
    >"$out/vectors.jsonl"
fi
echo "smoke: done, captures in $out"
