"""JSON Schema generation for every registered message.

`python -m osame_contracts.schemas` (or `osame contracts schemas`) rewrites
`contracts/schemas/`; a test fails when the committed files drift from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from osame_contracts.base import Message
from osame_contracts.registry import REGISTRY

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_of(model: type[Message], **extra: object) -> str:
    """One message's JSON Schema as committed (sorted keys, trailing newline)."""
    key = model.routing_key
    schema = model.model_json_schema()
    schema["$id"] = f"urn:osame:message:{key}"
    schema["x-routing-key"] = key
    schema["x-kind"] = str(model.kind)
    schema.update(extra)
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_all() -> dict[str, str]:
    """File name → JSON text for each message."""
    return {f"{key}.json": schema_of(model) for key, model in sorted(REGISTRY.items())}


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    return write_rendered(render_all(), directory)


def write_rendered(rendered: dict[str, str], directory: Path) -> list[Path]:
    """Write the rendered files into ``directory`` and delete the *.json files it no longer has."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stale in directory.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    from osame_contracts.reference import write as write_reference

    paths = write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR)
    print(f"wrote {len(paths)} schemas and {write_reference()}")
