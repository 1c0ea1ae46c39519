#!/usr/bin/env python3
"""Mutation check of the fault suite (issue 14): each assertion fails when its protection is removed.

For every protection the fault suite (tests/e2e/test_e2e_faults.py) stands for, a mutant removes
it in a throw-away clone of HEAD: a named edit of one unique line of the code (never a switch in
production code). The short fault suite (seed 1, 10 households) then runs in the clone against
the test broker and database. A mutant is KILLED when the suite fails on the assertion that names
that protection (each assertion message starts with its name); it SURVIVED when the suite passes
(a gap in the suite: strengthen it); MISSED when the suite failed, but not on that assertion.
The unmutated clone runs first (`control`): a suite that fails on HEAD proves nothing.

    scripts/fault-mutants.py                  # control + every mutant, one at a time (minutes each)
    scripts/fault-mutants.py --only inbox     # one (or a comma list); --list shows them
    scripts/fault-mutants.py --keep           # keep the clones and logs for debugging

Not part of CI (about 3 minutes a mutant). The environment is the tests' own:
OSAME_TEST_AMQP_URL and OSAME_TEST_DATABASE_URL (defaults: the local servers). Exit status 0 when
the control passed and every mutant was killed on its assertion.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/e2e/test_e2e_faults.py"
CONSUMER = "libs/chassis/src/osame_chassis/messaging/consumer.py"
OUTBOX = "libs/chassis/src/osame_chassis/messaging/outbox.py"
INBOX = "libs/chassis/src/osame_chassis/messaging/inbox.py"
DEFAULT_ENV = {
    "OSAME_TEST_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/",
    "OSAME_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
}


@dataclass(frozen=True)
class Mutant:
    name: str
    protection: str
    path: str
    line: str  # one whole line of the file, exactly once in it (leading spaces included)
    replacement: str  # what the line becomes (same indentation)
    expect: tuple[str, ...]  # the assertion name(s) the suite must fail on
    also: tuple[tuple[str, str, str], ...] = ()  # more (path, line, replacement) edits of the same mutant


MUTANTS = (
    Mutant(
        "inbox",
        "inbox: a redelivered message id is skipped (claimed in the effect's transaction, alone or in a batch)",
        INBOX,
        "    return result.rowcount == 1",
        "    return True",
        ("redeliveries skipped by the inbox", "exactly once"),
        also=(
            (
                INBOX,
                "    return set((await session.execute(stmt)).scalars())",
                "    await session.execute(stmt)\n    return set(message_ids)",
            ),
        ),
    ),
    Mutant(
        "relay-marks",
        "outbox relay marks a row published once the broker confirmed it",
        OUTBOX,
        "                await session.execute(update(outbox).where(outbox.c.id.in_(done)).values(published_at=now))",
        "                pass",
        ("outboxes empty",),
    ),
    Mutant(
        "outbox-write",
        "outbox: the events of a state change are staged in its transaction",
        OUTBOX,
        "        await session.execute(outbox.insert(), rows)",
        "        pass",
        ("nothing lost", "same final state"),
    ),
    Mutant(
        "poison-dlq",
        "a refused message is rejected to its DLQ with the reason (not acked and dropped)",
        CONSUMER,
        "        raise RejectMessage(requeue=False)",
        "        raise AckMessage()",
        ("poison in DLQ",),
    ),
    Mutant(
        "channel-key",
        "receipts: a payment re-sent by its channel (same channel key) is recorded once",
        "services/receipts/src/osame_receipts/service_layer/handlers.py",
        "    if existing is not None and not (existing.preliminary and not command.preliminary):",
        "    if False:",
        ("exactly once",),
    ),
    Mutant(
        "demand-paid",
        "collection: the nightly batch duns only open installments (none paid)",
        "services/collection/src/osame_collection/adapters/batch_sql.py",
        '        I.c.status == bindparam("open_status", InstallmentStatus.OPEN.value, literal_execute=True),',
        "        I.c.status.is_not(None),",
        ("no 督促 for a paid installment",),
    ),
    Mutant(
        "ack-after-commit",
        "a delivery is acked only after its effect committed (a SIGKILL mid-handler redelivers it)",
        CONSUMER,
        "        applier.submit(delivery)",
        "        await msg.ack()\n        applier.submit(delivery)",
        ("nothing lost", "exactly once", "same final state"),
    ),
)


class NoLongerApplies(Exception):
    pass


def apply(mutant: Mutant, clone: Path) -> None:
    """Edit the clone's files; refuse loudly when a line moved or changed (the code was edited)."""
    for rel, line, replacement in ((mutant.path, mutant.line, mutant.replacement), *mutant.also):
        path = clone / rel
        if not path.exists():
            raise NoLongerApplies(f"mutant {mutant.name} no longer applies: {rel} is gone")
        text = path.read_text(encoding="utf-8")
        found = len(re.findall(f"(?m)^{re.escape(line)}$", text))
        if found != 1:
            raise NoLongerApplies(
                f"mutant {mutant.name} no longer applies: its line is in {rel} {found} times "
                f"(expected once): {line.strip()!r}"
            )
        path.write_text(text.replace(line, replacement, 1), encoding="utf-8")


def run(cmd: list[str], cwd: Path, log, env=None, timeout=None) -> int:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout)
    return proc.returncode


def clone_head(into: Path, log) -> Path:
    clone = into / "repo"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    if run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(ROOT), str(clone)], into, log):
        raise RuntimeError("git clone failed")
    if run(["git", "checkout", "--quiet", "--detach", head.stdout.strip()], clone, log):
        raise RuntimeError("git checkout failed")
    if run(["uv", "sync", "--frozen", "--quiet"], clone, log):
        raise RuntimeError("uv sync failed in the clone")
    return clone


def failed_on(output: str) -> list[str]:
    """The assertion names of the failures pytest reported ("E   AssertionError: <name>: …")."""
    return re.findall(r"^E\s+AssertionError: ([^:\n]+):", output, flags=re.MULTILINE)


def check(mutant: Mutant | None, base: Path, env: dict, timeout: float) -> tuple[str, str, float]:
    """(result, assertion(s) the suite failed on, seconds) of one run in a fresh clone."""
    name = mutant.name if mutant else "control"
    work = base / name
    work.mkdir()
    started = time.monotonic()
    with (work / "run.log").open("w", encoding="utf-8") as log:
        try:
            clone = clone_head(work, log)
            if mutant:
                apply(mutant, clone)
                run(["git", "diff", "--stat"], clone, log)
            cmd = ["uv", "run", "pytest", "-p", "no:cacheprovider", "-q", "-x", "-s", SUITE]
            code = run(cmd, clone, log, env=env, timeout=timeout)
        except NoLongerApplies as err:
            log.write(f"{err}\n")
            return "NO LONGER APPLIES", str(err), time.monotonic() - started
        except subprocess.TimeoutExpired:
            return "TIMEOUT", f"over {timeout:.0f}s", time.monotonic() - started
    seconds = time.monotonic() - started
    seen = failed_on((work / "run.log").read_text(encoding="utf-8"))
    if mutant is None:
        return ("PASSED" if code == 0 else "FAILED"), ", ".join(seen), seconds
    if code == 0:
        return "SURVIVED", "", seconds
    if any(s in mutant.expect for s in seen):
        return "KILLED", ", ".join(seen), seconds
    return "MISSED", ", ".join(seen) or f"pytest exit {code}, no assertion named", seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See docs/development.md (Reliability: the mutation check).",
    )
    parser.add_argument("--only", help="comma-separated mutant names (the control runs only if named)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--keep", action="store_true", help="keep the clones and their run.log")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per suite run (1200)")
    args = parser.parse_args(argv)
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:18} {m.protection}\n{'':18} expect: {' | '.join(m.expect)}  ({m.path})")
        return 0
    chosen: list[Mutant | None] = [None, *MUTANTS]
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {m.name for m in MUTANTS} - {"control"}
        if unknown:
            parser.error(f"unknown mutant(s): {', '.join(sorted(unknown))} (see --list)")
        chosen = [m for m in chosen if (m.name if m else "control") in names]
    env = {**os.environ}
    for key, value in DEFAULT_ENV.items():
        env.setdefault(key, value)
    env.pop("OSAME_FAULT_SEEDS", None)  # the short form: seed 1, 10 households
    env.pop("VIRTUAL_ENV", None)  # the clone runs in its own environment
    base = Path(tempfile.mkdtemp(prefix="osame-fault-mutants-"))
    rows = []
    try:
        for mutant in chosen:
            name = mutant.name if mutant else "control"
            print(f"… {name}", flush=True)
            result, seen, seconds = check(mutant, base, env, args.timeout)
            rows.append((name, result, seen, seconds))
            print(f"  {result} ({seconds:.0f}s) {seen}", flush=True)
    finally:
        if args.keep:
            print(f"clones and logs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    expect = {m.name: " | ".join(m.expect) for m in MUTANTS} | {"control": "(passes)"}
    print(f"\n{'mutant':18} {'result':18} {'seconds':>7}  expected assertion → failed on")
    for name, result, seen, seconds in rows:
        print(f"{name:18} {result:18} {seconds:7.0f}  {expect[name]} → {seen or '-'}")
    good = {"control": "PASSED"}
    return 0 if all(result == good.get(name, "KILLED") for name, result, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
