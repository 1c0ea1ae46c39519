"""Unit of work over one service database: state change, outgoing events and inbox in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from osame_contracts.base import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from osame_chassis.messaging import inbox, outbox
from osame_chassis.messaging.staff_proof import StaffProofSigner
from osame_chassis.messaging.topology import Names


class UnitOfWork:
    """`async with uow:` opens a transaction; `commit()` makes it durable; leaving without commit rolls back."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker,
        names: Names,
        on_commit: Callable[[], None] | None = None,
        today: Callable[[], dt.date] | None = None,
        staff_signer: StaffProofSigner | None = None,
    ):
        self._sessions = sessions
        self._names = names
        self._on_commit = on_commit
        self._today = today
        self._staff_signer = staff_signer
        self._staged = 0
        self._outbox_rows: list[dict] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self._staged = 0
        self._outbox_rows = []
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    def today(self) -> dt.date:
        """The business date handlers use for decisions (configurable for simulations)."""
        if self._today is not None:
            return self._today()
        return dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()

    async def publish(self, message: Message) -> str:
        """Stage an event or command in the outbox, in this transaction (written at `commit()`,
        all staged rows in one statement: a batch of messages stages many)."""
        row = outbox.staged_row(self._names, message, self._staff_signer)
        self._outbox_rows.append(row)
        self._staged += 1
        return row["message_id"]

    @property
    def staged(self) -> int:
        """Messages staged in the outbox since the transaction began (for import reports)."""
        return self._staged

    async def claim(self, consumer: str, message_id: str) -> bool:
        return await inbox.claim(self.session, consumer, message_id)

    async def claim_all(self, consumer: str, message_ids: list[str]) -> set[str]:
        """`claim` for a batch of messages in one statement: the ids that are new."""
        return await inbox.claim_all(self.session, consumer, message_ids)

    async def commit(self) -> None:
        rows, self._outbox_rows = self._outbox_rows, []
        await outbox.stage_rows(self.session, rows)
        await self.session.commit()
        if self._staged and self._on_commit is not None:
            self._on_commit()
        self._staged = 0
