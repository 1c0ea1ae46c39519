"""Fault injection driven by a seed (issue 14): the five services as processes on the real
RabbitMQ and PostgreSQL run a day of payments while the suite

- SIGKILLs each of the five services once, at a seeded point of the flow, and restarts it;
- reorders the deliveries and duplicates some (the same message id again: a redelivery; a new
  message id: a channel re-sending its payment);
- injects poison messages (not JSON, or JSON no contract accepts) on seeded queues;
- once the day has settled, runs collection's nightly batch (督促 for what is past due), then
  publishes every message each outbox ever sent again with its own message id (a relay that
  crashed after the broker confirmed a row and before it marked it does exactly that).

The day includes late payments: past-due 期別 paid in full today, which the nightly batch must
not dun. After quiescence it asserts, each assertion's message starting with its name (the
mutation check scripts/fault-mutants.py looks for it): "outboxes empty", "nothing lost" (the
day's expected effects reached, every work queue drained), "exactly once" (every receipt once,
no overpayment beyond the input's, each installment's 本税 paid equal to what its receipts
applied), "projection equals ledger" (collection's view of every installment), "no 督促 for a
paid installment", "poison in DLQ" (every poison message in the dead-letter queue of each queue
it reached, with its reason, and nothing else in any DLQ), "redeliveries skipped by the inbox",
"money conserved" for every taxpayer (`osame money check`), and "same final state": each
service's business tables equal to those of a fault-free run of the same input (ids and clock
times left out: they differ by nature).

Each run prints the seed and what it injected. The default run (CI) is the short form: seed 1
on a city of 10 households. The long form: `OSAME_FAULT_SEEDS` picks the seeds ("7", "1-10",
"3,5,8") and the city grows to 30 households; `OSAME_FAULT_HOUSEHOLDS` sets the size either way.
The broker and the database restarts mid-flow are tests/e2e/test_e2e_crash.py, on a RabbitMQ node
and a PostgreSQL cluster of that test's own (private_broker.py, private_postgres.py), so
restarting them disturbs nobody sharing the machine's servers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from osame_chassis.db import create_engine
from osame_cli import dlq
from osame_cli.city import City, build_city
from osame_cli.demo import _nightly as run_nightly
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.settle import wait_settled
from osame_cli.stack import SERVICES, Stack
from osame_contracts.base import Kind
from osame_contracts.messages import receipts, taxation
from osame_contracts.publishers import allowed_publishers
from osame_contracts.topology import SUBSCRIPTIONS, all_queues
from sqlalchemy import text

# Two stacks of five processes (fault-free and faulted): on a busy shared machine that takes minutes.
pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(900)]

CITY_SEED = 14
LONG = bool(os.environ.get("OSAME_FAULT_SEEDS"))
HOUSEHOLDS = int(os.environ.get("OSAME_FAULT_HOUSEHOLDS") or (30 if LONG else 10))
PLUMBING = {"outbox", "inbox", "alembic_version", "audit_log"}  # not business state
# Surrogate numbers handed out in arrival order (which person gets which 統合宛名番号 is not
# fixed by the input, and address-sync takes addressees concurrently even without faults): each
# is compared as the group it stands for — the smallest 宛名番号 address-sync files under it — so
# a wrong link (a person under another's number, a merge not followed) still differs.
SURROGATES = {"unified_addressee_id"}
# Derived from a surrogate: address-sync's digest of the view it last published, which carries the
# 統合宛名番号. Every other field of that view is compared in the same row; only its presence is.
DIGESTS = {"published_digest"}
# A notice's event counter as the projection last saw it per installment: receipts numbers a
# notice's events in arrival order, so with two 期別 of one notice paid the same day (a late
# payment and a current one) which of them carries the higher number is arrival order. Compared
# only as present; the paid amounts and states beside it are compared in full.
ARRIVAL_COUNTERS = {("collection", "installments", "ledger_version"), ("refunds", "unpaid_items", "version")}
# A 充当 receipts refused (`not_owed`: the installment was paid between refunds' plan and
# receipts' decision) is the record of a race that reordered deliveries make happen: refunds
# plans again and the money ends where it ends without the race. Its rows (in refunds, receipts
# and collection: every row naming that appropriation_id) are left out; every other 充当 is compared.
REFUSED_BY = "appropriation_id"
# Tables whose rows still follow arrival order (found by this suite, left to their owners): a
# difference there is reported as an expected failure, any other difference fails the test.
# receipts.receipts (same-day split by arrival order) and address-sync.addressees (values
# assigned in arrival order) were fixed, and so was refunds.overpayments (long form, seed 3: a
# settle() after the refund decision turned 'refund_decided' into 'closed' in some arrival orders).
KNOWN_ORDER_DEPENDENT: set[str] = set()
# Parts of a business row that are a clock reading, not state: the nightly batch's summary
# carries how long each of its steps took.
TIMINGS = {"phase_seconds"}
# An id anywhere in a value: alone, or inside a key built from one (an appropriation receipt's
# channel_key is "<appropriation id>:<n>"); ids are time-ordered uuid7s, different on every run.
ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?![0-9a-f])")


def fault_seeds() -> list[int]:
    spec = os.environ.get("OSAME_FAULT_SEEDS") or "1"
    seeds: list[int] = []
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


@dataclass
class Day:
    """What the suite sends on the city's day: the city's receipts and the late payments."""

    receipts: list[receipts.RecordReceipt]
    late: list[receipts.RecordReceipt]  # past-due 期別 paid in full: the nightly must not dun them
    count: int  # receipts expected in the ledger (a payment re-sent by its channel is one)
    yen: int
    overpayments: int


def late_payments(city: City) -> list[receipts.RecordReceipt]:
    """期別 1 of every 固定資産税 notice (納期限 4/30, past its 督促 cut-off on the day) paid in full at
    the counter, except household 0's: its 過納 is appropriated (充当) to that 期別."""
    first = city.assessments[0].addressee_id
    return [
        receipts.RecordReceipt(
            channel=receipts.Channel.COUNTER,
            channel_key=f"counter-late-{a.notice_number}",
            notice_number=a.notice_number,
            installment_no=a.installments[0].installment_no,
            amount=a.installments[0].principal_tax,
            paid_on=city.day,
            booked_on=city.day,
        )
        for a in city.assessments
        if a.tax_item is taxation.TaxItem.FIXED_ASSET_TAX and a.addressee_id != first
    ]


@dataclass
class FaultPlan:
    """Everything one seed injects, decided before the run so the seed reproduces it."""

    seed: int
    sends: list[tuple[object, str]] = field(default_factory=list)  # (message, message id)
    kills: list[tuple[str, float, float]] = field(default_factory=list)  # (service, at share, down s)
    poison: list[tuple[type, bytes, str]] = field(default_factory=list)  # (model, body, message id)

    def describe(self) -> str:
        same = len(self.sends) - len({mid for _, mid in self.sends})
        kills = ", ".join(f"{s}@{share:.0%} down {down:.1f}s" for s, share, down in self.kills)
        poison = ", ".join(f"{m.routing_key} ({len(b)} bytes)" for m, b, _ in self.poison)
        return (
            f"seed {self.seed}: {len(self.sends)} receipt deliveries (reordered; {same} redelivered "
            f"with the same id); kills: {kills}; poison: {poison}"
        )


def plan_faults(seed: int, day: Day) -> FaultPlan:
    rng = random.Random(seed)
    plan = FaultPlan(seed)
    sends = [(r, str(uuid.UUID(int=rng.getrandbits(128)))) for r in day.receipts]
    redelivered = rng.sample(sends, k=max(1, len(sends) // 10))  # the same id again
    resent = [
        (r, str(uuid.UUID(int=rng.getrandbits(128))))
        for r, _ in rng.sample(sends, k=max(1, len(sends) // 10))
    ]
    plan.sends = sends + redelivered + resent
    rng.shuffle(plan.sends)
    victims = list(SERVICES)
    rng.shuffle(victims)
    shares = sorted(rng.uniform(0.05, 0.9) for _ in victims)
    plan.kills = [(s, share, rng.uniform(0.2, 1.5)) for s, share in zip(victims, shares, strict=True)]
    models = sorted({m for ms in SUBSCRIPTIONS.values() for m in ms}, key=lambda m: m.routing_key)
    bodies = [b"{not json", b"{}", json.dumps({"amount": "many", "notice_number": None}).encode()]
    for i in range(rng.randint(1, 3)):
        plan.poison.append((rng.choice(models), rng.choice(bodies), f"poison-{seed}-{i}"))
    return plan


def poisoned_queues(plan: FaultPlan) -> dict[str, set[str]]:
    """The queues each poison message reaches (a command: its owner's; an event: every subscriber)."""
    out: dict[str, set[str]] = {}
    for model, _, message_id in plan.poison:
        for service, models in SUBSCRIPTIONS.items():
            if any(m.routing_key == model.routing_key for m in models):
                out.setdefault(f"{service}.{model.routing_key}", set()).add(message_id)
    return out


async def query(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).all()
    finally:
        await engine.dispose()


def _normal(value):
    if isinstance(value, (list, dict)):
        return json.dumps(_masked(value), sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, dt.datetime):
        return "<time>"  # when a row was written: a clock, not business state
    if isinstance(value, uuid.UUID):
        return "<id>"
    if isinstance(value, str):
        return ID.sub("<id>", value)
    return value


def _masked(value):
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return _normal(value)


async def business_tables(stack: Stack) -> dict[str, dict[str, Counter]]:
    """Every business table of every service as a multiset of rows (ids and clock times masked,
    serial keys left out)."""
    out: dict[str, dict[str, Counter]] = {}
    groups = dict(
        await query(
            stack.database_urls["address-sync"],
            "SELECT unified_addressee_id, min(addressee_id) FROM addressees "
            "WHERE unified_addressee_id IS NOT NULL GROUP BY unified_addressee_id",
        )
    )

    refused = {
        str(appropriation_id)
        for (appropriation_id,) in await query(
            stack.database_urls["refunds"],
            "SELECT appropriation_id FROM appropriations WHERE status = 'refused' AND reason = 'not_owed'",
        )
    }

    def value(service: str, table: str, key: str, raw):
        if (service, table, key) in ARRIVAL_COUNTERS:
            return raw is not None and "<counter>"
        if key in SURROGATES:
            return f"<number of {groups[raw]}>" if raw in groups else "<unused number>"
        if key in DIGESTS:
            return raw and "<digest>"
        return _normal(raw)

    for service in SERVICES:
        url = stack.database_urls[service]
        tables = await query(
            url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        out[service] = {}
        for (table,) in sorted(tables):
            if table in PLUMBING:
                continue
            serial = {
                name
                for (name,) in await query(
                    url,
                    "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                    "AND (column_default LIKE 'nextval%' OR is_identity = 'YES')",
                    t=table,
                )
            }
            engine = create_engine(url)
            try:
                async with engine.connect() as conn:
                    result = await conn.execute(text(f'SELECT * FROM "{table}"'))
                    keys = [k for k in result.keys() if k not in serial]
                    rows = [
                        tuple((k, value(service, table, k, row._mapping[k])) for k in keys)
                        for row in result
                        if str(row._mapping.get(REFUSED_BY, "")) not in refused
                    ]
            finally:
                await engine.dispose()
            out[service][table] = Counter(rows)
    return out


class FaultStack:
    """A fresh stack (its own broker namespace and PostgreSQL databases) for one run."""

    def __init__(self, amqp_url: str, pg_server_url: str, work_dir, city: City):
        self.amqp_url, self.pg_server_url = amqp_url, pg_server_url
        run = uuid.uuid4().hex[:8]
        self.prefix = f"fault-{run}."
        self.names = [f"osame_fault_{run}_{s.replace('-', '_')}" for s in SERVICES]
        urls = asyncio.run(create_databases(pg_server_url, self.names))
        self.stack = Stack(
            amqp_url=amqp_url,
            prefix=self.prefix,
            work_dir=work_dir,
            database_urls=dict(zip(SERVICES, urls.values(), strict=True)),
            extra_env={"OSAME_BUSINESS_DATE": city.day.isoformat()},
            dev_wiring=True,
        )

    def __enter__(self) -> Stack:
        self.stack.start(timeout=180)
        return self.stack

    def __exit__(self, *exc) -> None:
        self.stack.stop()
        self.stack.remove_namespace()  # in a thread of its own, bounded
        asyncio.run(drop_databases(self.pg_server_url, self.names))


async def settle(stack: Stack, bus, expected: dict[tuple[str, str], int], timeout: float) -> dict[str, dict]:
    """`wait_settled` until each (service, stats count) is as expected, its deadline reported as
    the assertion it breaks: rows an outbox never publishes ("outboxes empty"), a count past what
    the input can make ("exactly once": something applied twice) or short of it ("nothing lost")."""

    def counts(stats: dict[str, dict]) -> dict[tuple[str, str], int]:
        return {(service, name): stats[service][name] for service, name in expected}

    try:
        return await wait_settled(stack, bus, lambda stats: counts(stats) == expected, timeout=timeout)
    except TimeoutError as err:
        try:
            stats = await asyncio.to_thread(stack.stats)
        except Exception:  # a service too busy to answer: the deadline's own message says the rest
            raise AssertionError(f"nothing lost: {err}") from None
        pending = {s: v["outbox_pending"] for s, v in stats.items() if v["outbox_pending"]}
        if pending:
            raise AssertionError(f"outboxes empty: rows still pending {pending}; {err}") from None
        seen = counts(stats)
        beyond = {f"{s}.{n}": (seen[s, n], want) for (s, n), want in expected.items() if seen[s, n] > want}
        if beyond:
            raise AssertionError(f"exactly once: (counted, expected) {beyond}; {err}") from None
        raise AssertionError(f"nothing lost: {err}") from None


async def _seed_city(stack: Stack, bus, city: City) -> None:
    for message in [*city.addressees, *city.assessments]:
        await bus.send(message)
    expected = {
        ("receipts", "notices"): len(city.assessments),
        ("collection", "addressees"): len(city.addressees),
    }
    await settle(stack, bus, expected, timeout=120)


def _day_done(day: Day) -> dict[tuple[str, str], int]:
    return {("receipts", "receipts"): day.count, ("refunds", "overpayments"): day.overpayments}


async def _night(stack: Stack, bus, city: City, day: Day) -> dict:
    """collection's nightly batch for the day (督促, 延滞金), run once the day has settled, and the
    events it publishes settled in their turn."""
    summary = await asyncio.to_thread(run_nightly, stack, city.day)
    await settle(stack, bus, _day_done(day), timeout=180)
    return summary


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(households=HOUSEHOLDS, seed=CITY_SEED)


@pytest.fixture(scope="module")
def day(city) -> Day:
    late = late_payments(city)
    exp = city.expected
    return Day(
        receipts=[*city.receipts, *late],
        late=late,
        count=exp.receipts + len(late),
        yen=exp.receipts_yen + sum(r.amount for r in late),
        overpayments=exp.overpayments,
    )


@pytest.fixture(scope="module")
def fault_free(city, day, amqp_url, pg_server_url, tmp_path_factory):
    """The business tables after the same input without any fault (in order, each once)."""

    async def run(stack: Stack):
        async with stack.bus() as bus:
            await _seed_city(stack, bus, city)
            for receipt in day.receipts:
                await bus.send(receipt)
            await settle(stack, bus, _day_done(day), timeout=180)
            await _night(stack, bus, city, day)
        return await business_tables(stack)

    with FaultStack(amqp_url, pg_server_url, tmp_path_factory.mktemp("fault-free"), city) as stack:
        return asyncio.run(run(stack))


async def _receipts_applied(stack: Stack) -> int:
    [(count,)] = await query(
        stack.database_urls["receipts"], "SELECT count(*) FROM receipts WHERE channel <> 'appropriation'"
    )
    return count


async def _inject_kills(stack: Stack, plan: FaultPlan, total: int) -> None:
    for service, share, down in plan.kills:
        for _ in range(600):  # until the flow reached its share (or 60 s: kill anyway)
            if await _receipts_applied(stack) >= share * total:
                break
            await asyncio.sleep(0.1)
        stack.services[service].kill()
        await asyncio.sleep(down)
        stack.services[service].start()
    await asyncio.to_thread(stack.wait_ready, 120)


async def _replay_outboxes(stack: Stack, bus) -> Counter:
    """Publishes every row of every outbox again with its own message id, as its service: what a
    relay killed between the broker's confirm and marking its rows does (outbox.py). Returns the
    deliveries each work queue got."""
    reached: Counter = Counter()
    for service in SERVICES:
        rows = await query(
            stack.database_urls[service],
            "SELECT message_id, exchange, routing_key, message_type, payload FROM outbox ORDER BY id",
        )
        for message_id, exchange, routing_key, message_type, payload in rows:
            await bus.send_raw(
                bytes(payload),
                exchange=bus.names.exchange_named(exchange),
                routing_key=routing_key,
                message_id=message_id,
                message_type=message_type,
                as_principal=service,
            )
            reached.update(
                f"{consumer}.{routing_key}"
                for consumer, models in SUBSCRIPTIONS.items()
                if any(m.routing_key == routing_key for m in models)
            )
    return reached


DUPLICATES = re.compile(r'^osame_messages_duplicate_total\{queue="([^"]+)"\} (\S+)$', re.MULTILINE)


def _duplicates_skipped(stack: Stack) -> Counter:
    """Deliveries each work queue's inbox recognised as seen and skipped (since its service started)."""
    skipped: Counter = Counter()
    for service in stack.services.values():
        metrics = httpx.get(service.url + "/metrics", timeout=30).text
        for queue, value in DUPLICATES.findall(metrics):
            skipped[queue.removeprefix(stack.prefix)] += int(float(value))
    return skipped


async def _dead_letters(bus) -> dict[str, list[dict]]:
    out = {}
    for queue in all_queues():
        depth = await bus.queue_depth(bus.names.prefix + queue + ".dlq")
        if depth:
            out[queue] = await dlq.inspect(bus, queue, limit=depth + 5)
    return out


def _key(notice_number: str, installment_no: int) -> str:
    return f"{notice_number}/{installment_no}"


INSTALLMENT = "notice_number || '/' || installment_no"


@pytest.mark.parametrize("seed", fault_seeds())
async def test_a_day_under_seeded_faults_ends_as_a_day_without_them(
    seed, city, day, fault_free, amqp_url, pg_server_url, tmp_path, money_check
):
    plan = plan_faults(seed, day)
    print(plan.describe())
    faults = await asyncio.to_thread(FaultStack, amqp_url, pg_server_url, tmp_path, city)
    stack = await asyncio.to_thread(faults.__enter__)  # blocking starts and stops: off the loop
    urls = stack.database_urls
    try:
        async with stack.bus() as bus:
            await _seed_city(stack, bus, city)
            sends = [bus.send(message, message_id=message_id) for message, message_id in plan.sends]
            middle = len(sends) // 2
            await asyncio.gather(*sends[:middle])
            for model, body, message_id in plan.poison:
                commands = model.kind is Kind.COMMAND
                await bus.send_raw(
                    body,
                    exchange=bus.names.commands() if commands else bus.names.events(),
                    routing_key=model.routing_key,
                    message_id=message_id,
                    message_type=model.routing_key,
                    as_principal=min(allowed_publishers(model.routing_key)),
                )
            await asyncio.gather(*sends[middle:])
            await _inject_kills(stack, plan, day.count)
            await settle(stack, bus, _day_done(day), timeout=240)
            night = await _night(stack, bus, city, day)
            replayed = await _replay_outboxes(stack, bus)
            stats = await settle(stack, bus, _day_done(day), timeout=180)
            skipped = await asyncio.to_thread(_duplicates_skipped, stack)
            dead = await _dead_letters(bus)
        print(
            f"nightly batch: {night.get('demand_notices')} 督促; re-published {sum(replayed.values())} deliveries"
        )

        pending = {s: v["outbox_pending"] for s, v in stats.items()}
        assert pending == dict.fromkeys(SERVICES, 0), f"outboxes empty: {pending}; {plan.describe()}"
        [(count, total)] = await query(
            urls["receipts"], "SELECT count(*), sum(amount) FROM receipts WHERE channel <> 'appropriation'"
        )
        assert (count, total) == (day.count, day.yen), (
            f"exactly once: receipts (count, yen) {(count, total)}, expected {(day.count, day.yen)}; "
            + plan.describe()
        )
        applied = await query(
            urls["receipts"],
            "SELECT i.notice_number || '/' || i.installment_no, i.paid, "
            "coalesce(sum(r.applied_principal_tax), 0) FROM installments i LEFT JOIN receipts r "
            "ON r.notice_number = i.notice_number AND r.installment_no = i.installment_no "
            "GROUP BY i.notice_number, i.installment_no, i.paid",
        )
        twice = {key: (paid, by_receipts) for key, paid, by_receipts in applied if paid != by_receipts}
        assert twice == {}, f"exactly once: 本税 paid, Σ applied by its receipts {twice}; {plan.describe()}"
        ledger = {
            key: (paid, principal)
            for key, principal, paid in await query(
                urls["receipts"], f"SELECT {INSTALLMENT}, principal_tax, paid FROM installments"
            )
        }
        projected = dict(await query(urls["collection"], f"SELECT {INSTALLMENT}, paid FROM installments"))
        expected = {key: paid for key, (paid, _) in ledger.items()}
        assert projected == expected, (
            "projection equals ledger: "
            f"{ {k: (projected.get(k), v) for k, v in expected.items() if projected.get(k) != v} }; "
            + plan.describe()
        )
        dunned = {
            key for (key,) in await query(urls["collection"], f"SELECT {INSTALLMENT} FROM demand_notices")
        }
        paid_in_full = {key for key, (paid, principal) in ledger.items() if paid >= principal}
        late = {_key(r.notice_number, r.installment_no) for r in day.late}
        # not vacuous: late payments made past-due 期別 paid, and the batch dunned what was still owed
        assert late and late <= paid_in_full and dunned, f"the day as planned: late {late}, dunned {dunned}"
        assert not dunned & paid_in_full, (
            f"no 督促 for a paid installment: {sorted(dunned & paid_in_full)}; {plan.describe()}"
        )
        found = {q: {d["message_id"] for d in dead_letters} for q, dead_letters in dead.items()}
        assert found == poisoned_queues(plan), (
            f"poison in DLQ: dead letters {found}, poison sent {poisoned_queues(plan)}; {plan.describe()}"
        )
        assert all(d["reason"] for dead_letters in dead.values() for d in dead_letters), (
            "poison in DLQ: a dead letter without its reason"
        )
        unskipped = {q: (n, skipped[q]) for q, n in replayed.items() if skipped[q] < n}
        assert replayed and not unskipped, (
            f"redeliveries skipped by the inbox: (re-published, skipped) per queue {unskipped}"
        )
        try:
            figures = await money_check(stack)
        except AssertionError as err:
            raise AssertionError(f"money conserved: {err}; {plan.describe()}") from None
        assert figures, f"money conserved: `osame money check` gave no figures; {plan.describe()}"
        after = await business_tables(stack)
    finally:
        await asyncio.to_thread(faults.__exit__, None, None, None)
    differing = {
        f"{service}.{table}": (
            sum((rows - fault_free[service][table]).values()),
            sum((fault_free[service][table] - rows).values()),
        )
        for service, tables in after.items()
        for table, rows in tables.items()
        if rows != fault_free[service].get(table)
    }
    if differing and set(differing) <= KNOWN_ORDER_DEPENDENT:
        pytest.xfail(
            f"known order dependence only: {differing}; {plan.describe()}"
            + "".join(
                _row_diff(after[t.split(".")[0]], fault_free[t.split(".")[0]], t.split(".")[1])
                for t in differing
            )
        )
    assert differing == {}, (
        "same final state: tables differing from the fault-free run (extra, missing rows): "
        f"{differing}; {plan.describe()}"
        + "".join(
            _row_diff(after[t.split(".")[0]], fault_free[t.split(".")[0]], t.split(".")[1]) for t in differing
        )
    )


def _row_diff(after: dict, before: dict, table: str, limit: int = 3) -> str:
    """The first rows only one run has (synthetic data: the city is generated)."""
    extra = list((after[table] - before.get(table, Counter())).elements())[:limit]
    missing = list((before.get(table, Counter()) - after[table]).elements())[:limit]
    return f"\n{table}: only faulted {extra}\n{table}: only fault-free {missing}"
