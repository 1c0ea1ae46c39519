"""Issue 13 items 2 and 3 against the real broker: 住基's own, authenticated user tries to pin a
支援措置 flag with revision 2147483647 and to end the measure before its date.

Both attacks fail at the consumer: the pinning revision is dead-lettered with its reason (no
value from the body), later legitimate revisions still apply, and an end dated next month
leaves the addressee protected today.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from osame_contracts.messages import address_sync
from sqlalchemy import select

from .conftest import dlq_depth, eventually, publish_as

pytestmark = pytest.mark.integration

ADDRESSEE = "300021"
PIN = 2147483647


def _body(revision: int, protected: bool, effective_on: dt.date) -> bytes:
    return (
        address_sync.SetProtection(
            addressee_id=ADDRESSEE, revision=revision, protected=protected, effective_on=effective_on
        )
        .model_dump_json()
        .encode()
    )


async def _protection(harness):
    from osame_address_sync.adapters import orm

    async with harness.runtime.sessions() as session:
        row = (await session.execute(select(orm.protections))).mappings().first()
        flag = (
            await session.execute(
                select(orm.addressees.c.protected).where(orm.addressees.c.addressee_id == ADDRESSEE)
            )
        ).scalar_one_or_none()
    return (row["revision"], row["protected"], flag) if row else None


async def test_a_pinning_revision_is_dead_lettered_and_an_early_end_waits_for_its_date(
    live, broker_accounts, amqp_url, caplog
):
    caplog.set_level(logging.ERROR, logger="osame.consumer")
    service = await live("address-sync")
    names = broker_accounts.names
    key = address_sync.SetProtection.routing_key
    queue = names.queue("address-sync", address_sync.SetProtection)
    today = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()

    async def send(message_id: str, body: bytes, principal: str = "jumin", routing_key: str = key) -> None:
        await publish_as(
            broker_accounts.url(principal),
            names.commands().name,
            routing_key,
            body,
            message_id=message_id,
            type=routing_key,
            user_id=names.user(principal),
            content_type="application/json",
        )

    registration = address_sync.UpsertAddressee(
        addressee_id=ADDRESSEE, version=1, name="保護 試験", address="富山県高岡市試験町2番2号"
    )
    await send("u-1", registration.model_dump_json().encode(), "atena", registration.routing_key)
    await eventually(lambda: _is(service, None))

    # The pin: refused whole, dead-lettered with the reason, nothing stored.
    await send("p-pin", _body(PIN, False, today - dt.timedelta(days=1)))
    await eventually(lambda: _depth(amqp_url, queue, 1), timeout=30)
    assert await _protection(service) is None
    reasons = [r.reason for r in caplog.records if getattr(r, "reason", None) and r.name == "osame.consumer"]
    assert any("revision_out_of_window" in r for r in reasons), reasons

    # The measure starts (dated in the past: in force), then its end arrives dated next month.
    await send("p-1", _body(1, True, today - dt.timedelta(days=30)))
    await eventually(lambda: _is(service, (1, True, True)))
    await send("p-2", _body(2, False, today + dt.timedelta(days=30)))
    await eventually(lambda: _is(service, (2, False, True)))  # decided, not yet in force
    # a second pin after the start does not lock the record either
    await send("p-pin-2", _body(PIN, False, today - dt.timedelta(days=1)))
    await eventually(lambda: _depth(amqp_url, queue, 2), timeout=30)
    await send("p-3", _body(3, True, today - dt.timedelta(days=30)))
    await eventually(lambda: _is(service, (3, True, True)))


async def _is(harness, expected) -> bool:
    if expected is None:  # registered, no decision yet
        return await _protection(harness) is None and await _registered(harness)
    return await _protection(harness) == expected


async def _registered(harness) -> bool:
    from osame_address_sync.adapters import orm

    async with harness.runtime.sessions() as session:
        return (await session.execute(select(orm.addressees.c.addressee_id))).first() is not None


async def _depth(admin_url: str, queue: str, expected: int) -> bool:
    return await dlq_depth(admin_url, queue) == expected
