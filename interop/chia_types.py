"""Find the class that decodes a Chia payload, by class name or by message type (run under .interop/venv)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from functools import cache
from typing import Any

# Message types whose payload class is not CamelCase(type name) and not in the API metadata.
_MESSAGE_CLASS_EXCEPTIONS: dict[str, str | None] = {
    "partial_proofs": "PartialProofsData",
    "farm_new_block": "FarmNewBlockProtocol",
    "solution_response": "SolverResponse",
    "none_response": None,  # no payload class (type 91, unused)
}

_PY_MODULES = [
    "chia.protocols.shared_protocol",
    "chia.protocols.full_node_protocol",
    "chia.protocols.wallet_protocol",
    "chia.protocols.farmer_protocol",
    "chia.protocols.harvester_protocol",
    "chia.protocols.introducer_protocol",
    "chia.protocols.timelord_protocol",
    "chia.protocols.pool_protocol",
    "chia.protocols.solver_protocol",
    "chia.simulator.simulator_protocol",
]


@cache
def python_classes() -> dict[str, type]:
    """Python-defined Streamable dataclasses of the protocol modules (not chia_rs re-exports), by class name."""
    out: dict[str, type] = {}
    for modname in _PY_MODULES:
        mod = importlib.import_module(modname)
        for name, cls in vars(mod).items():
            if (
                inspect.isclass(cls)
                and dataclasses.is_dataclass(cls)
                and hasattr(cls, "from_bytes")
                and cls.__module__.startswith("chia.")
            ):
                out.setdefault(name, cls)
    return out


def rs_class(name: str) -> type | None:
    import chia_rs

    cls = getattr(chia_rs, name, None)
    return cls if inspect.isclass(cls) and hasattr(cls, "from_bytes") else None


def py_class(name: str) -> type | None:
    return python_classes().get(name)


@cache
def message_class_names() -> dict[int, str | None]:
    """ProtocolMessageTypes value -> payload class name (None: no payload class)."""
    from chia.apis import StubMetadataRegistry
    from chia.protocols.protocol_message_types import ProtocolMessageTypes

    out: dict[int, str | None] = {}
    for metadata in StubMetadataRegistry.values():
        for msg_type, request in metadata.message_type_to_request.items():
            out.setdefault(int(msg_type.value), request.message_class.__name__)
    for msg_type in ProtocolMessageTypes:
        if int(msg_type.value) in out:
            continue
        if msg_type.name in _MESSAGE_CLASS_EXCEPTIONS:
            out[int(msg_type.value)] = _MESSAGE_CLASS_EXCEPTIONS[msg_type.name]
        else:
            out[int(msg_type.value)] = "".join(p.capitalize() for p in msg_type.name.split("_"))
    return out


def message_type_name(value: int) -> str:
    from chia.protocols.protocol_message_types import ProtocolMessageTypes

    try:
        return ProtocolMessageTypes(value).name
    except ValueError:
        return f"unknown_{value}"


def decode(cls: type, payload: bytes) -> Any:
    """from_bytes (rejects trailing bytes in both chia_rs and Python streamable)."""
    return cls.from_bytes(payload)  # type: ignore[attr-defined]


def parse_message(raw: bytes) -> tuple[int, int | None, bytes]:
    """Message envelope: type u8 | Optional[uint16] id | bytes data (u32 length). Rejects trailing bytes."""
    from chia.protocols.outbound_message import Message

    msg = Message.from_bytes(raw)
    return int(msg.type), None if msg.id is None else int(msg.id), bytes(msg.data)
