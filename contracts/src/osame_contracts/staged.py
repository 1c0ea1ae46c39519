"""Staged messages: defined and versioned, not yet on the bus.

A message module may list models in ``STAGED_MESSAGES`` instead of ``MESSAGES``. The registry,
the topology, the broker definitions and the AsyncAPI documents ignore them, so nothing can
publish an event that no queue is bound to (it would come back unroutable and block the
outbox). Their JSON Schemas are generated and checked like the others, into
``contracts/schemas/staged/``, so neighbouring systems can build against them now.

Each staged routing key names the services planned to consume it (``PLANNED_CONSUMERS``). To
put a message on the bus: move it from ``STAGED_MESSAGES`` to ``MESSAGES``, add it to those
services' ``CONSUMES`` with a handler, drop its entry here, and regenerate both schema sets and
the broker definitions (docs/adding-a-message.md).

``uv run python -m osame_contracts.staged`` rewrites the staged schemas.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from osame_contracts import messages
from osame_contracts.base import Message
from osame_contracts.schemas import schema_of, write_rendered

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "staged"

PLANNED_CONSUMERS: dict[str, tuple[str, ...]] = {
    # 特別徴収 納入 per 義務者 (receipts' ledger): collection's input for 延滞金 (法326①) and 督促 (法329)
    # against the 義務者, per 納入 (design note §4, phase 2 step 2).
    "receipts.withholding-remittance.due.v1": ("collection",),
    "receipts.withholding-remittance.settled.v1": ("collection",),
    "receipts.withholding-remittance.partly-paid.v1": ("collection",),
    # 年金特別徴収: per-person 期別 under the pension payer; results arrive as a file to receipts.
    "taxation.pension-withholding.determined.v1": ("receipts",),
    "taxation.pension-withholding.stopped.v1": ("receipts",),
    # 分離課税: the 納入申告 fixes the amount a 納入 is reconciled against.
    "taxation.retirement-income-tax.filed.v1": ("receipts",),
    # 申告納付: receipts books the tax (見込納付 held until the return); collection needs the
    # filing facts for the 延滞金 plan (法326, 321条の12); refunds learns of 中間納付 refunds from receipts.
    "taxation.corporate-return.filed.v1": ("receipts", "collection"),
    "taxation.corporate-return.reassessed.v1": ("receipts", "collection"),
}


def _collect() -> tuple[type[Message], ...]:
    found: list[type[Message]] = []
    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        found.extend(getattr(module, "STAGED_MESSAGES", ()))
    return tuple(found)


STAGED: tuple[type[Message], ...] = _collect()


def render_all() -> dict[str, str]:
    """File name → JSON text for each staged message (same form as ``schemas.render_all``)."""
    return {
        f"{model.routing_key}.json": schema_of(
            model,
            **{"x-staged": True, "x-planned-consumers": list(PLANNED_CONSUMERS.get(model.routing_key, ()))},
        )
        for model in sorted(STAGED, key=lambda m: m.routing_key)
    }


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    return write_rendered(render_all(), directory)


if __name__ == "__main__":
    paths = write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR)
    print(f"wrote {len(paths)} staged schemas")
