"""Sessions over realistic histories (requests at irregular gaps, sign-outs, token expiry) against
a model that knows only the true request times and the rules:

- a session idle for longer than the idle timeout never serves another request;
- an active one is never ended before `idle timeout - TOUCH_EVERY` (last-seen is written at
  most every TOUCH_EVERY, so the timeout is enforced up to that much early, never late);
- past the access token's expiry it never serves a request;
- once signed out or ended it never serves again; every ending is audited exactly once.

Runs the real service layer (`SignIn.load`, `SignIn.sign_out`) on a real SQLite store.
Default examples for CI; `OSAME_MODEL_EXAMPLES=2000` for a long run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from osame_chassis.db import create_engine, session_factory
from osame_chassis.migrations import upgrade
from osame_console.adapters.store import Store
from osame_console.bootstrap import MIGRATIONS
from osame_console.domain.session import new_secret_token
from osame_console.service_layer.signin import TOUCH_EVERY, SessionEnded, SignIn, StaffSession
from osame_console.settings import ConsoleSettings

IDLE = 900
EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "25"))
T0 = dt.datetime(2026, 7, 10, 0, 0, tzinfo=dt.UTC)


class Sessions(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = __import__("tempfile").mkdtemp()
        self.engine = create_engine(f"sqlite+aiosqlite:///{self.dir}/model.db")
        self.run(upgrade(self.engine, MIGRATIONS))
        self.store = Store(session_factory(self.engine))
        config = ConsoleSettings(
            environment="development", idle_timeout_seconds=IDLE, telemetry_enabled=False
        )
        self.signin = SignIn(config, self.store, oidc=None, role_permissions={"r": ["collection:*"]})
        self.now = T0
        self.endings = 0

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self):
        self.run(self.engine.dispose())
        self.loop.close()

    @initialize(ttl=st.integers(min_value=600, max_value=4 * 3600))
    def sign_in(self, ttl):
        self.session_id = new_secret_token()
        self.expires_at = T0 + dt.timedelta(seconds=ttl)
        self.last_request = T0
        self.ended = False

        async def create():
            async with self.store.begin() as tx:
                await tx.create_session(
                    self.session_id,
                    user="u1",
                    roles=("r",),
                    access_token="a",
                    id_token=None,
                    csrf_token="c",
                    now=T0,
                    expires_at=self.expires_at,
                )

        self.run(create())

    @rule(gap=st.one_of(st.integers(0, 60), st.integers(60, IDLE + 120), st.integers(0, 4 * 3600)))
    def request(self, gap):
        self.now += dt.timedelta(seconds=gap)
        result = self.run(self.signin.load(self.session_id, self.now, "127.0.0.1"))
        idle = (self.now - self.last_request).total_seconds()
        if self.ended:
            assert result is None, "an ended session served a request"
            return
        if self.now >= self.expires_at or idle > IDLE:
            assert isinstance(result, SessionEnded), (idle, result)
        elif idle <= IDLE - TOUCH_EVERY.total_seconds():
            assert isinstance(result, StaffSession), (idle, result)
        if isinstance(result, StaffSession):
            assert result.can("collection:cases.read") and not result.can("refunds:x")
            self.last_request = self.now
        else:
            self.ended = True
            self.endings += 1

    @rule()
    def sign_out(self):
        staff = StaffSession(self.session_id, "u1", ("r",), frozenset(), "a", None, "c", self.expires_at)
        self.run(self.signin.sign_out(staff, "127.0.0.1", operation="console.signed-out-by-service"))
        if not self.ended:
            self.ended = True
            self.endings += 1

    @invariant()
    def every_ending_is_audited_once(self):
        if not hasattr(self, "session_id"):
            return
        entries = self.run(self.store.audit_entries(limit=1000))
        assert len(entries) == self.endings
        assert self.run(self.store.verify_audit()).ok


TestSessions = Sessions.TestCase
TestSessions.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
