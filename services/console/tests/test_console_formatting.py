"""和暦 and yen formatting: table-driven, with the era boundaries of the 元号を改める政令.

令和 from 2019-05-01 (平成31年政令第143号), 平成 from 1989-01-08 (昭和64年政令第1号);
元年 for an era's first year; the Western date stays available on hover (<time title>).
"""

from __future__ import annotations

import datetime as dt

import pytest
from osame_console.domain.money import yen
from osame_console.domain.wareki import WarekiError, era_of, wareki, wareki_or_western
from osame_console.entrypoints.web import wareki_html

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2019, 5, 1), "令和元年5月1日"),  # first day of 令和
        (D(2019, 4, 30), "平成31年4月30日"),  # last day of 平成
        (D(2019, 12, 31), "令和元年12月31日"),
        (D(2020, 1, 1), "令和2年1月1日"),  # 令和2年 starts on 1 January, not 1 May
        (D(2026, 7, 10), "令和8年7月10日"),
        (D(1989, 1, 8), "平成元年1月8日"),  # first day of 平成
        (D(1989, 1, 7), "昭和64年1月7日"),  # last day of 昭和
        (D(1990, 1, 1), "平成2年1月1日"),
        (D(1926, 12, 25), "昭和元年12月25日"),
        (D(1926, 12, 24), "大正15年12月24日"),
        (D(1912, 7, 30), "大正元年7月30日"),
        (D(1912, 7, 29), "明治45年7月29日"),
        (D(1873, 1, 1), "明治6年1月1日"),  # Gregorian calendar adopted
        (D(2000, 2, 29), "平成12年2月29日"),
    ],
)
def test_wareki_table(day, expected):
    assert wareki(day) == expected


def test_before_the_gregorian_calendar_there_is_no_wareki_here():
    with pytest.raises(WarekiError):
        wareki(D(1872, 12, 31))
    assert wareki_or_western(D(1872, 12, 31)) == "1872-12-31"


def test_era_of_gives_year_one_for_the_first_year():
    era, year = era_of(D(2019, 5, 1))
    assert (era.name, year) == ("令和", 1)


def test_wareki_html_shows_the_western_date_on_hover():
    assert (
        str(wareki_html("2026-07-10"))
        == '<time datetime="2026-07-10" title="2026-07-10">令和8年7月10日</time>'
    )
    assert (
        str(wareki_html(D(2019, 5, 1)))
        == '<time datetime="2019-05-01" title="2019-05-01">令和元年5月1日</time>'
    )
    assert str(wareki_html("2026-07-10T12:00:00+00:00")).startswith('<time datetime="2026-07-10"')
    assert str(wareki_html(None)) == "—"
    assert str(wareki_html("not a <date>")) == "not a &lt;date&gt;"  # escaped, never raw


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "¥0"),
        (1, "¥1"),
        (999, "¥999"),
        (1000, "¥1,000"),
        (1234567, "¥1,234,567"),
        (-500, "-¥500"),
        (-1234567, "-¥1,234,567"),
        (None, "—"),
    ],
)
def test_yen_table(amount, expected):
    assert yen(amount) == expected


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_yen_refuses_what_is_not_integer_yen(bad):
    with pytest.raises(TypeError):
        yen(bad)
