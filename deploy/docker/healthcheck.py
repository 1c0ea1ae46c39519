"""Container health probe for the Osame services.

Used by the image's HEALTHCHECK and by docker-compose (slim images have no curl).
Usage: ``python /app/healthcheck.py [PATH]`` (default ``/healthz``). It requests
``http://127.0.0.1:$OSAME_HTTP_PORT$PATH`` and exits 0 on a 2xx answer, 1 otherwise.
Standard library only: it runs with the service venv's interpreter.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PATH = "/healthz"
DEFAULT_PORT = "8100"


def probe_url(path: str | None = None, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    port = env.get("OSAME_HTTP_PORT") or DEFAULT_PORT
    host = env.get("OSAME_HEALTHCHECK_HOST") or "127.0.0.1"
    path = path or DEFAULT_PATH
    if not path.startswith("/"):
        path = "/" + path
    return f"http://{host}:{port}{path}"


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    env = os.environ if environ is None else environ
    url = probe_url(args[0] if args else None, env)
    timeout = float(env.get("OSAME_HEALTHCHECK_TIMEOUT") or "3")
    # Never go through an HTTP proxy for a loopback probe, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        print(f"unhealthy: {url} answered {exc.code}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if 200 <= status < 300:
        return 0
    print(f"unhealthy: {url} answered {status}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
