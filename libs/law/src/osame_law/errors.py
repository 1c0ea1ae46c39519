"""Exceptions raised by osame_law.

Every error is a ``LawError`` (itself a ``ValueError``) so callers can catch one class.
Messages name the offending field and, for dates, the date; they never contain names,
addresses, taxpayer numbers or other personal data.
"""

from __future__ import annotations


class LawError(ValueError):
    """Base class of every error raised by this library."""


class InvalidInputError(LawError):
    """An input is structurally wrong (negative amount, missing date for the chosen cause, overlap...)."""


class ImplausibleDateError(LawError):
    """A date is outside the plausibility window or contradicts another date.

    Guards against typed-in dates such as 令和01 entered as 令和10 (practice F3) or a
    calculation date set to the previous year (practice F4).
    """


class RateNotAvailableError(LawError, LookupError):
    """No rate is recorded for the requested calendar year (e.g. 2027 before it is announced)."""
