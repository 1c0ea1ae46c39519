"""Every day from 1873-01-01 (明治6年, the Gregorian calendar) to 2100-12-31, walked one by one
against a model that knows only the era changes: the era name changes exactly on its first day
and starts at 元年, the era year otherwise rises by one exactly on 1 January, and the month and day
are the Gregorian ones."""

from __future__ import annotations

import datetime as dt
import re

from osame_console.domain.wareki import wareki

ERA_FIRST_DAYS = {  # 元号を改める政令 etc.: the only days an era may change
    dt.date(1912, 7, 30): "大正",
    dt.date(1926, 12, 25): "昭和",
    dt.date(1989, 1, 8): "平成",
    dt.date(2019, 5, 1): "令和",
}
SHAPE = re.compile(r"^(明治|大正|昭和|平成|令和)(元|[1-9][0-9]*)年([1-9]|1[0-2])月([1-9]|[12][0-9]|3[01])日$")


def test_every_day_follows_the_era_model():
    day, end = dt.date(1873, 1, 1), dt.date(2100, 12, 31)
    era, year = "明治", 5  # 1 January 1873 starts 明治6年
    while day <= end:
        match = SHAPE.match(wareki(day))
        assert match, day
        name, shown, month, mday = match.groups()
        if day in ERA_FIRST_DAYS:
            era, year = ERA_FIRST_DAYS[day], 1
        elif day.month == 1 and day.day == 1:
            year += 1
        assert (name, shown, int(month), int(mday)) == (
            era,
            "元" if year == 1 else str(year),
            day.month,
            day.day,
        ), day
        day += dt.timedelta(days=1)
