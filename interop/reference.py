#!/usr/bin/env python3
"""Run the reference Chia full node privately on loopback, for interop tests.

Run with the venv made by interop/setup.sh:  .interop/venv/bin/python interop/reference.py <command> ...

  init ROOT --port P [--peer HOST:PORT ...] [--simulator] [--set a.b=yaml ...]   create a private CHIA_ROOT
  run ROOT [--duration S] [--ready-timeout S] [--die-with-parent]
                                                  start the node in its own process group, wait until it listens,
                                                  print "READY ...", stop it (whole group) on exit/signal/duration
                                                  (and, with --die-with-parent, when the caller dies)
  up --port P [init options] [--duration S] [--keep]   init a temp root, then run (the one-shot form)
  node ROOT                                       (internal) the node process itself, with loopback guards

Everything is private: CHIA_ROOT and CHIA_KEYS_ROOT point into ROOT, no DNS seeders, no introducer, no outbound
discovery, UPnP off, the daemon/RPC ports are fresh loopback ports, and the node process refuses to dial anything
that is not a loopback address and never asks a public "what is my IP" service (see guard_loopback_only).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_READY_TIMEOUT_S = 120.0
STOP_GRACE_S = 15.0
SIM_GENESIS = "eb8c4d20b322be8d9fddbf9412016bdffe9a2901d7edb0e364e94266d0e095f7"  # chia.cmds.sim_funcs


def log(msg: str) -> None:
    print(f"[reference] {msg}", file=sys.stderr, flush=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def chia_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["CHIA_ROOT"] = str(root)
    env["CHIA_KEYS_ROOT"] = str(root / "keys")  # keep the keyring out of ~/.chia_keys
    env["PYTHONUNBUFFERED"] = "1"
    return env


# ---------------------------------------------------------------------------------------------------------------------
# init


def parse_peer(text: str) -> dict[str, Any]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"peer must be HOST:PORT, got {text!r}")
    return {"host": host, "port": int(port)}


def set_dotted(config: dict[str, Any], assignment: str) -> None:
    """`a.b.c=<yaml>`: set a nested key, creating dicts on the way (value parsed as YAML: 3, null, [..], true)."""
    import yaml

    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        raise SystemExit(f"--set expects key.path=value, got {assignment!r}")
    keys = path.split(".")
    node = config
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = yaml.safe_load(raw)


def init_root(
    root: Path,
    *,
    port: int,
    network: str = "mainnet",
    peers: list[dict[str, Any]] | None = None,
    log_level: str = "DEBUG",
    rate_limits: int | None = None,
    rpc_port: int | None = None,
    daemon_port: int | None = None,
    simulator: bool = False,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """Create a private CHIA_ROOT in `root` for one loopback full node. Returns the final config."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.environ.update({k: v for k, v in chia_env(root).items() if k in ("CHIA_ROOT", "CHIA_KEYS_ROOT")})
    from chia.util.config import load_config, save_config

    if simulator:
        init_simulator_root(root)
    else:
        from chia.cmds.init_funcs import chia_init

        # Same as `CHIA_ROOT=root chia init` (creates config.yaml, the private CA, all certs, the v2 db).
        rc = chia_init(root, should_check_keys=False, fix_ssl_permissions=True)
        if rc != 0:
            raise SystemExit(f"chia_init({root}) returned {rc}")

    config = load_config(root, "config.yaml")
    fn = config["full_node"]
    if not simulator:
        for section in config.values():
            if isinstance(section, dict) and "selected_network" in section:
                section["selected_network"] = network
        config["selected_network"] = network
    # loopback only, predictable, nothing from outside
    config["self_hostname"] = "127.0.0.1"
    config["daemon_port"] = daemon_port or free_port()
    config["ui"]["daemon_port"] = config["daemon_port"]
    fn["port"] = port
    fn["rpc_port"] = rpc_port or free_port()
    fn["enable_upnp"] = False
    fn["dns_servers"] = []  # an empty list; a *missing* key makes mainnet fall back to dns-introducer.chia.net
    fn["introducer_peer"] = None
    fn["target_outbound_peer_count"] = 0
    fn["full_node_peers"] = list(peers or [])  # dialled by Service._connect_peers_task_handler, retried every 3 s
    fn["send_uncompact_interval"] = 0
    # Logging: private copy (the yaml anchor makes every service share one dict), to ROOT/log/debug.log
    logging_cfg = dict(config["logging"])
    logging_cfg.update({"log_level": log_level, "log_stdout": False, "log_filename": "log/debug.log"})
    config["logging"] = logging_cfg
    fn["logging"] = dict(logging_cfg)
    if rate_limits is not None:
        config["rate_limits"] = rate_limits  # 3 adds capability (7, "1") RATE_LIMITS_V3 to our handshake
    for assignment in overrides or []:
        set_dotted(config, assignment)
    save_config(root, "config.yaml", config)
    log(
        f"root {root}: network={fn['selected_network']} port={fn['port']} rpc_port={fn['rpc_port']} "
        f"daemon_port={config['daemon_port']} peers={fn['full_node_peers']} log_level={log_level}"
        + (f" rate_limits={rate_limits}" if rate_limits is not None else "")
    )
    return config


def init_simulator_root(root: Path) -> None:
    """What `chia dev sim create` does, without prompts: key in a private keyring, simulator0 config, plots."""
    import asyncio

    from chia.cmds.sim_funcs import create_chia_directory, generate_and_return_fingerprint, generate_plots

    if (root / "config" / "config.yaml").exists():
        from chia.util.config import load_config

        cfg = load_config(root, "config.yaml")
        fingerprint = cfg["simulator"]["key_fingerprint"]
    else:
        fingerprint = generate_and_return_fingerprint()
    # auto_farm False: blocks only when asked (RPC farm_block / P2P farm_new_block), deterministic for tests
    # Absolute plot dir: a relative one lands beside ROOT (block_tools.get_plot_dir uses the root's parent).
    config = create_chia_directory(root, fingerprint, None, str(root / "plots"), False, docker_mode=False)
    t0 = time.monotonic()
    asyncio.run(generate_plots(config, root, fingerprint, bitfield=True))
    log(f"simulator plots ready in {time.monotonic() - t0:.1f} s (fingerprint {fingerprint})")


# ---------------------------------------------------------------------------------------------------------------------
# node (runs inside the child process)


def guard_loopback_only() -> None:
    """Patch the running chia code so the node cannot reach beyond loopback.

    * ChiaServer.get_peer_info asks https://ip.chia.net/ and https://checkip.amazonaws.com/ for the public IP (peer
      discovery at start, 24 h self-advertising). Here it answers None (unknown), as it does when both fail.
    * ChiaServer.start_client refuses any target whose address is not loopback (a peer could gossip public
      addresses via respond_peers; feeler connections would then dial them).
    """
    import ipaddress
    import logging

    from chia.server.server import ChiaServer

    guard_log = logging.getLogger("interop.guard")
    original_start_client = ChiaServer.start_client

    async def get_peer_info(self: ChiaServer) -> None:
        return None

    async def start_client(self: ChiaServer, target_node: Any, *args: Any, **kwargs: Any) -> bool:
        try:
            loopback = ipaddress.ip_address(target_node.host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            guard_log.warning(f"interop guard: refusing to dial non-loopback {target_node.host}:{target_node.port}")
            return False
        return await original_start_client(self, target_node, *args, **kwargs)

    ChiaServer.get_peer_info = get_peer_info  # type: ignore[method-assign]
    ChiaServer.start_client = start_client  # type: ignore[method-assign]


def node_main(root: Path) -> int:
    os.environ.update({k: v for k, v in chia_env(root).items() if k in ("CHIA_ROOT", "CHIA_KEYS_ROOT")})
    guard_loopback_only()
    from chia.util.config import load_config

    config = load_config(root, "config.yaml")
    sys.argv = [sys.argv[0]]  # chia's load_config_cli parses argv as config overrides
    # No daemon runs here: without this the RPC server retries ws://127.0.0.1:<daemon_port> every 2 s (log noise).
    import functools

    if str(config["full_node"]["selected_network"]).startswith("simulator"):
        import chia.simulator.start_simulator as sim
        from chia.util.keychain import Keychain

        # The simulator's BlockTools reads the farming key through the daemon's keychain proxy unless given a local
        # Keychain; this one lives in CHIA_KEYS_ROOT=ROOT/keys (filled by `init --simulator`).
        sim.BlockTools = functools.partial(sim.BlockTools, keychain=Keychain())  # type: ignore[misc]
        sim.create_full_node_simulator_service = functools.partial(  # type: ignore[assignment]
            sim.create_full_node_simulator_service, connect_to_daemon=False
        )
        return sim.main()
    import chia.full_node.start_full_node as fn

    fn.create_full_node_service = functools.partial(fn.create_full_node_service, connect_to_daemon=False)  # type: ignore[assignment]
    return fn.main()


# ---------------------------------------------------------------------------------------------------------------------
# run: child process lifetime


def _die_with_parent() -> None:
    # Linux: SIGTERM the node if this supervisor dies without cleaning up (e.g. SIGKILL).
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


class ReferenceNode:
    """A reference full node process (group) on a prepared root. Use as a context manager: always stopped."""

    def __init__(self, root: Path) -> None:
        from chia.util.config import load_config

        self.root = root.resolve()
        self.config = load_config(self.root, "config.yaml")
        self.port = int(self.config["full_node"]["port"])
        self.rpc_port = int(self.config["full_node"]["rpc_port"])
        self.rpc_enabled = bool(self.config["full_node"].get("start_rpc_server", True))
        self.log_path = self.root / "log" / "debug.log"
        self.stdout_path = self.root / "log" / "stdout.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = DEFAULT_READY_TIMEOUT_S) -> None:
        self.stdout_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.stdout_path, "ab")
        cmd = [sys.executable, str(Path(__file__).resolve()), "node", str(self.root)]
        log(f"starting: {' '.join(cmd)}  (stdout/stderr -> {self.stdout_path})")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            env=chia_env(self.root),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: killpg reaches the node and its worker pool
            preexec_fn=_die_with_parent,
        )
        out.close()
        deadline = t0 + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited with {self.proc.returncode} before listening; see {self.stdout_path}")
            if port_open("127.0.0.1", self.port) and (not self.rpc_enabled or port_open("127.0.0.1", self.rpc_port)):
                log(
                    f"listening on 127.0.0.1:{self.port} (rpc {self.rpc_port if self.rpc_enabled else 'off'}) after "
                    f"{time.monotonic() - t0:.1f} s (pid {self.proc.pid})"
                )
                return
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"node did not listen on {self.port} within {ready_timeout} s; see {self.stdout_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                log(f"node group {proc.pid} still alive after {sig.name} + {grace} s")
        # the group may outlive its leader (pool workers): make sure nothing is left
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        log(f"stopped node group {proc.pid} (exit {proc.returncode})")

    def __enter__(self) -> ReferenceNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit so `with` blocks unwind and the node is stopped."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def watch_parent() -> int:
    """`--die-with-parent`: SIGTERM this supervisor when the process that started it dies (even by SIGKILL), so the
    node is always stopped; the caller of `run` (a test runner) cannot leak a node. Returns the parent's pid."""
    _die_with_parent()
    return os.getppid()


def run_root(root: Path, duration: float | None, ready_timeout: float, die_with_parent: bool = False) -> int:
    parent = watch_parent() if die_with_parent else None
    with stop_on_signals(), ReferenceNode(root) as node:
        node.start(ready_timeout)
        print(
            f"READY port={node.port} rpc_port={node.rpc_port} pid={node.proc.pid if node.proc else '?'} "
            f"root={node.root} log={node.log_path}",
            flush=True,
        )
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while deadline is None or time.monotonic() < deadline:
                if node.proc is None or node.proc.poll() is not None:
                    log("node exited by itself")
                    return 1
                if parent is not None and os.getppid() != parent:  # reparented: the starter is gone
                    log(f"parent {parent} is gone: stopping")
                    return 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


# ---------------------------------------------------------------------------------------------------------------------
# CLI


def add_init_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, required=True, help="P2P listen port (the node listens on all interfaces)")
    p.add_argument("--network", default="mainnet", help="selected_network (default mainnet; ignored with --simulator)")
    p.add_argument("--peer", type=parse_peer, action="append", default=[], help="HOST:PORT for full_node_peers")
    p.add_argument("--log-level", default="DEBUG", choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"])
    p.add_argument("--rate-limits", type=int, choices=[2, 3], help="top-level rate_limits (3 = RATE_LIMITS_V3)")
    p.add_argument("--rpc-port", type=int, help="HTTPS RPC port (default: a free port)")
    p.add_argument("--daemon-port", type=int, help="daemon port the RPC server tries to reach (default: a free port)")
    p.add_argument("--simulator", action="store_true", help="simulator0 network + plots (blocks via RPC farm_block)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="a.b=VALUE",
                   help="extra config.yaml override, value parsed as YAML (repeatable)")


def init_from_args(root: Path, a: argparse.Namespace) -> None:
    init_root(
        root,
        port=a.port,
        network=a.network,
        peers=a.peer,
        log_level=a.log_level,
        rate_limits=a.rate_limits,
        rpc_port=a.rpc_port,
        daemon_port=a.daemon_port,
        simulator=a.simulator,
        overrides=a.overrides,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_init = sub.add_parser("init", help="create a private CHIA_ROOT")
    p_init.add_argument("root", type=Path)
    add_init_options(p_init)
    p_run = sub.add_parser("run", help="run the node of ROOT until --duration, a signal or Ctrl-C")
    p_run.add_argument("root", type=Path)
    p_run.add_argument("--duration", type=float, help="seconds to keep it running (default: until signalled)")
    p_run.add_argument("--ready-timeout", type=float, default=DEFAULT_READY_TIMEOUT_S)
    p_run.add_argument("--die-with-parent", action="store_true", help="stop when the starting process dies")
    p_up = sub.add_parser("up", help="init a temp root and run it")
    add_init_options(p_up)
    p_up.add_argument("--root", type=Path, help="use this root instead of a temp dir")
    p_up.add_argument("--duration", type=float)
    p_up.add_argument("--ready-timeout", type=float, default=DEFAULT_READY_TIMEOUT_S)
    p_up.add_argument("--keep", action="store_true", help="keep the temp root (logs) afterwards")
    p_node = sub.add_parser("node", help="(internal) the node process")
    p_node.add_argument("root", type=Path)
    a = ap.parse_args(argv)

    if a.cmd == "init":
        init_from_args(a.root, a)
        return 0
    if a.cmd == "run":
        return run_root(a.root, a.duration, a.ready_timeout, a.die_with_parent)
    if a.cmd == "node":
        return node_main(a.root.resolve())
    # up
    base = REPO / ".interop" / "roots"
    base.mkdir(parents=True, exist_ok=True)
    root = a.root or Path(tempfile.mkdtemp(prefix="ref-", dir=base))
    init_from_args(root, a)
    try:
        return run_root(root, a.duration, a.ready_timeout)
    finally:
        if a.root is None and not a.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
            log(f"removed {root}")
        else:
            log(f"kept {root}")


if __name__ == "__main__":
    sys.exit(main())
