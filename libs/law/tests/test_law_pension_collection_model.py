"""Model-based test: one pensioner's withholding over several years (法321条の7の2〜7の8).

Each year the machine draws the pension-part annual tax; the first year splits half to
普通徴収, later years withhold 仮徴収 from last year's tax and 本徴収 as the rest; withholding
may stop after any payment. A ledger model checks per year: everything scheduled (普通徴収 +
withheld + left to 普通徴収 after a stop) − the excess refunded = the annual tax, nothing is
negative, and 仮徴収 always equals half of last year's tax (in three, within 100-yen steps).

Default: 50 histories (CI). Longer: OSAME_MODEL_EXAMPLES=2000.
"""

import os

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from osame_law.pension_collection import first_year_split, main_amounts, provisional_amounts, stop_outcome


class Pensioner(RuleBasedStateMachine):
    @initialize(annual=st.integers(0, 2_000_000))
    def first_year(self, annual):
        split = first_year_split(annual)
        self.previous = annual
        self.years = [(annual, sum(split.ordinary), sum(split.main), 0)]
        self.in_withholding = True

    @rule(annual=st.integers(0, 2_000_000), stop_after=st.one_of(st.none(), st.integers(0, 6)))
    def next_year(self, annual, stop_after):
        if not self.in_withholding:
            split = first_year_split(annual)
            self.years.append((annual, sum(split.ordinary), sum(split.main), 0))
            self.in_withholding, self.previous = True, annual
            return
        provisional = provisional_amounts(self.previous)
        assert sum(provisional) == self.previous // 2
        assert max(provisional) - min(provisional) < 300
        main = main_amounts(annual, sum(provisional))
        payments = (*provisional, *main.amounts)
        if stop_after is None:
            withheld, ordinary = sum(payments), 0
        else:
            stopped = stop_outcome(payments, stop_after)
            withheld, ordinary = stopped.withheld, stopped.ordinary
            self.in_withholding = False
        self.years.append((annual, ordinary, withheld, main.excess))
        self.previous = annual

    @invariant()
    def each_year_collects_its_tax_or_refunds_the_excess(self):
        for annual, ordinary, withheld, excess in self.years:
            assert min(ordinary, withheld, excess) >= 0
            assert ordinary + withheld - excess == annual


Pensioner.TestCase.settings = settings(
    max_examples=int(os.environ.get("OSAME_MODEL_EXAMPLES", "50")), stateful_step_count=8, deadline=None
)
test_pensioner = Pensioner.TestCase
