"""Field reference of every message, rendered from the models' JSON Schemas into Markdown.

`uv run osame contracts schemas` rewrites it with the schemas (docs/message-fields.md);
a test fails when the committed file drifts from the models.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from osame_contracts.registry import REGISTRY
from osame_contracts.topology import SUBSCRIPTIONS, exchange_for, queue_name

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "message-fields.md"


def _type(prop: dict, defs: dict) -> str:
    if "$ref" in prop:
        return f"`{prop['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in prop:
        return " or ".join(_type(p, defs) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list[{_type(prop.get('items', {}), defs)}]"
    if prop.get("format") == "date":
        return "date"
    return prop.get("type", "any")


def _constraints(prop: dict) -> str:
    parts = []
    for key, label in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
    ):
        if key in prop:
            parts.append(f"{label} {prop[key]}")
    if "pattern" in prop:
        parts.append(f"pattern `{prop['pattern']}`")
    if "enum" in prop:
        parts.append("one of " + ", ".join(f"`{v}`" for v in prop["enum"]))
    return ", ".join(parts)


def _table(schema: dict, defs: dict) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | constraints | meaning |", "|---|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        target = defs.get(prop["$ref"].rsplit("/", 1)[-1], {}) if "$ref" in prop else prop
        meaning = (prop.get("description") or target.get("description") or "").replace("\n", " ")
        rows.append(
            f"| `{name}` | {_type(prop, defs)} | {'yes' if name in required else 'no'} | "
            f"{_constraints(target if 'enum' in target else prop)} | {meaning} |"
        )
    return rows


def render() -> str:
    lines = [
        "# Message fields",
        "",
        "Generated from the models in `contracts/` by `uv run osame contracts schemas`; do not edit by hand.",
        "Money is integer yen; dates are ISO dates.",
        "",
        "## Who publishes and who consumes",
        "",
        "The publisher is the service the routing key starts with (`taxation.*`: the external 税務システム;"
        " commands from outside or staff, except `receipts.appropriation.apply.v1`, which refunds sends).",
        "",
        "| Routing key | Model | Kind | Consumed by (queue) |",
        "|---|---|---|---|",
    ]
    for key, model in sorted(REGISTRY.items()):
        consumers = [
            f"{s} (`{queue_name(s, model)}`)" for s, models in SUBSCRIPTIONS.items() if model in models
        ]
        lines.append(f"| `{key}` | `{model.__name__}` | {model.kind} | {', '.join(consumers)} |")
    lines.append("")
    for key, model in sorted(REGISTRY.items()):
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})
        consumers = [queue_name(s, model) for s, models in SUBSCRIPTIONS.items() if model in models]
        lines += [f"## `{key}` — {model.__name__} ({model.kind})", ""]
        # cleandoc: Python 3.13 dedents docstrings itself; the text must not depend on the version.
        lines += [inspect.cleandoc(model.__doc__ or "").replace("\n", " "), ""]
        lines += [
            f"Exchange `{exchange_for(model)}` · queue(s): "
            + ", ".join(f"`{q}`" for q in consumers)
            + f" · schema `contracts/schemas/{key}.json`",
            "",
        ]
        lines += [*_table(schema, defs), ""]
        for name, sub in sorted(defs.items()):
            if sub.get("type") == "object":
                lines += [f"`{name}`:", "", *_table(sub, defs), ""]
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path = DOC_PATH) -> Path:
    path.write_text(render(), encoding="utf-8")
    return path
