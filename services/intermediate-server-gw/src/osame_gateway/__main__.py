"""`osame-gateway`: serve (default) | migrate | asyncapi | revision | load-permitted [FILE] | retention.

`serve` runs the chassis runner with the gateway's background worker (pending queries through the
network, daily retention: `bootstrap.run_worker`); `load-permitted` and `retention` are operator
commands (`entrypoints/commands.py`), audited under the verified token's subject.
"""

from __future__ import annotations

from osame_chassis.cli import service_main

from osame_gateway.bootstrap import build_spec


def main(argv: list[str] | None = None) -> None:
    service_main(build_spec, argv)


if __name__ == "__main__":
    main()
