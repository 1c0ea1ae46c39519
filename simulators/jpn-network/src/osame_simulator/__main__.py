"""`osame-simulator`: run the 情報提供ネットワークシステム simulator, or drive a running one.

osame-simulator serve [--port 8190] [--seed-file income.csv] [--no-synthetic]
osame-simulator fault --url http://127.0.0.1:8190 "error=503" --count 3 --path /income-queries
osame-simulator fault --url … --clear
osame-simulator stats --url …
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import httpx


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="osame-simulator",
        description="Simulator of the 情報提供ネットワークシステム (符号, 情報提供許可証, income answers) with "
        "injectable faults. Settings also from OSAME_SIMULATOR_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the simulator (default)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--seed-file", type=Path, default=None, help="CSV of income records")
    serve.add_argument("--no-synthetic", action="store_true", help="answer 'no data' for unseeded people")
    fault = sub.add_parser(
        "fault", help="queue a fault (latency=<ms>, timeout, error=<status>, malformed, no-data)"
    )
    fault.add_argument("spec", nargs="?", default="")
    fault.add_argument("--url", default="http://127.0.0.1:8190")
    fault.add_argument("--count", type=int, default=1)
    fault.add_argument("--path", default="/", help="path prefix the fault applies to")
    fault.add_argument("--clear", action="store_true", help="remove every queued fault")
    stats = sub.add_parser("stats", help="print request and answer counts")
    stats.add_argument("--url", default="http://127.0.0.1:8190")
    args = parser.parse_args(argv)

    if args.command == "fault":
        if args.clear:
            response = httpx.delete(f"{args.url}/admin/faults", timeout=5)
        else:
            response = httpx.post(
                f"{args.url}/admin/faults",
                json={"fault": args.spec, "count": args.count, "path": args.path},
                timeout=5,
            )
        print(response.text)
        sys.exit(0 if response.is_success else 1)
    if args.command == "stats":
        print(
            json.dumps(httpx.get(f"{args.url}/admin/stats", timeout=5).json(), ensure_ascii=False, indent=2)
        )
        return

    import uvicorn

    from osame_simulator.app import SimulatorSettings, build_app

    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "seed_file", None):
        overrides["seed_file"] = args.seed_file
    if getattr(args, "no_synthetic", False):
        overrides["synthetic_income"] = False
    settings = SimulatorSettings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s osame-simulator %(levelname)s %(message)s")
    # uvicorn's access log shows method and path only (never bodies, so never a 個人番号)
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
