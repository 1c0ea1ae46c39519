"""支援措置 over random histories against an independent model (issue 13 items 2 and 3).

Decisions arrive with revisions that go back, repeat, step forward or jump far ahead
(2147483647), dated in the past or the future; the business date moves on and the daily pass
runs. The model knows only the rules:

- a revision is admitted when it is at most 100 past the highest admitted one (or 1..100 for the
  first); an older or equal one is ignored; one further ahead is refused and changes nothing;
- on a date, the addressee is protected by the admitted decision of highest revision among those
  dated on or before it (unprotected when none is);

and checks after every step that the stored flag and the last published `addressee.changed`
say exactly that. Real service layer on a real SQLite store. Default examples for CI;
`OSAME_MODEL_EXAMPLES=500` for a long run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from osame_address_sync.adapters import orm
from osame_address_sync.service_layer import handlers
from osame_address_sync.service_layer.protection import apply_due_protections
from osame_chassis.errors import PermanentError
from osame_contracts.messages import address_sync

from .conftest import Factories, Service

EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "15"))
START = dt.date(2026, 7, 1)
WINDOW = 100
PIN = 2147483647


class Protection(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.service = Service(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/model.db")
        self.service.runtime.settings.business_date = START
        self.run(self.service.migrate())
        self.run(self.service.run(handlers.record_resident_change, Factories().moved_in()))
        self.admitted: list[tuple[int, bool, dt.date]] = []  # the model's own record

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self):
        self.run(self.service.close())
        self.loop.close()

    @property
    def today(self) -> dt.date:
        return self.service.runtime.settings.business_date

    def expected(self) -> bool:
        in_force = [d for d in self.admitted if d[2] <= self.today]
        return max(in_force)[1] if in_force else False

    @rule(
        step=st.one_of(st.integers(min_value=-3, max_value=WINDOW + 5), st.just(PIN)),
        protected=st.booleans(),
        offset=st.integers(min_value=-60, max_value=60),
    )
    def decide(self, step, protected, offset):
        held = max((d[0] for d in self.admitted), default=None)
        revision = max(1, PIN if step == PIN else (held or 0) + step)
        effective_on = self.today + dt.timedelta(days=offset)
        command = address_sync.SetProtection(
            addressee_id="200001", revision=revision, protected=protected, effective_on=effective_on
        )
        beyond = revision > (held or 0) + WINDOW
        try:
            self.run(self.service.run(handlers.set_protection, command))
        except PermanentError:
            assert beyond
            return
        assert not beyond
        if held is None or revision > held:
            self.admitted.append((revision, protected, effective_on))

    @rule(days=st.integers(min_value=0, max_value=45))
    def days_pass(self, days):
        self.service.runtime.settings.business_date = self.today + dt.timedelta(days=days)
        while self.run(
            self.service.handle(lambda _, uow: apply_due_protections(uow, self.service.deps), None)
        ):
            pass

    @invariant()
    def flag_and_last_event_say_what_is_in_force(self):
        [row] = self.run(self.service.rows(orm.addressees))
        assert row["protected"] is self.expected()
        _, last = self.run(self.service.events())[-1]
        assert last["protected"] is self.expected()
        assert (last["address"] == "") is self.expected()


TestProtection = Protection.TestCase
TestProtection.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
