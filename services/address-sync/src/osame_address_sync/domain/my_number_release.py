"""The rules of a 個人番号 release (個人番号提供): the one permitted purpose and every outcome.

Each request, granted or not, is an entry of the service's audit chain (`osame_chassis.audit`):
operation `RELEASE_RECORD`, user = the caller, outcome = a `ReleaseOutcome`, detail = who asked,
purpose and request reference.
"""

from __future__ import annotations

from enum import StrEnum

RELEASE_RECORD = "my-number.release"

# The only purpose a 個人番号 may leave address-sync for: the gateway obtains a 符号
# (番号法 §21-2; DESIGN §2: the one command that asks the gateway to obtain a 符号).
PERMITTED_PURPOSES = frozenset({"linkage_code_acquisition"})


class ReleaseOutcome(StrEnum):
    RELEASED = "released"
    UNKNOWN_ADDRESSEE = "unknown_addressee"
    NO_MY_NUMBER = "no_individual_number"
    PURPOSE_REFUSED = "purpose_refused"
    CALLER_NOT_ALLOWED = "caller_not_allowed"
    NO_PENDING_QUERY = "no_pending_query"  # no income query of that id for that 宛名番号 in the window
    RATE_LIMITED = "rate_limited"  # more releases to this caller in the last minute than allowed
