"""訂正請求 and 利用停止請求 (個人情報保護法 第5章第4節, 行政機関等): the register's rules (issue 13).

After a 開示 (§76) the person may ask for a correction (訂正請求, §90) or for use to stop (利用停止
請求, §98). The city must decide within 30 days of the request (§94① / §102①), extendable by 30
days with a notice of the reason (§94② / §102②). What the law allows:

- 訂正 (§90①, §92): the city corrects what is found wrong, *unless another law sets its own
  procedure* (§90① ただし書): 住基-derived 氏名・住所・生年月日 are corrected through the 住民基本台帳
  (住民基本台帳法 §14: the 市町村長 corrects the 住民票, and address-sync receives the 異動), and 課税
  (調定) amounts through 更正 or a 審査請求 (地方税法 §19, 行政不服審査法). Those are refused here with
  that referral; 送付先, a 住登外者's own 宛名, and records such as 折衝記録 may be corrected.
  A 訂正請求 is made within 90 days of the disclosure (§90③).
- 利用停止 (§98①, §100): granted only on a ground the law lists — kept or used unlawfully
  (§61②, §63), obtained improperly (§64), used or provided beyond its purpose (§69①②, §71①) —
  and not where stopping would seriously hinder the 賦課徴収 work itself (§100 ただし書).

A request is `received` → `accepted` | `refused` (decided, with the basis) → `applied` (only an
accepted one; what was done is noted). Dates are business dates (Asia/Tokyo), never the caller's.
Article numbers follow the 2021 amendment (令和3年法律第37号) in force for 地方公共団体 from
2023-04-01 (UNCONFIRMED [L]: check against e-Gov before relying on them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CORRECTION = "correction"  # 訂正請求 §90
    SUSPENSION = "suspension"  # 利用停止請求 §98


class Target(StrEnum):
    RESIDENT_RECORD = "resident_record"  # 住基-derived 氏名・住所・生年月日
    ASSESSMENT = "assessment"  # 課税 / 調定 amounts
    MAILING_ADDRESS = "mailing_address"  # 送付先
    NON_RESIDENT_RECORD = "non_resident_record"  # 住登外者's own 宛名
    CASE_RECORD = "case_record"  # 折衝記録 and other records of the city's own making
    OTHER = "other"


class Ground(StrEnum):
    """利用停止 grounds of §98①."""

    UNLAWFUL_RETENTION = "unlawful_retention"  # §61②
    IMPROPER_USE = "improper_use"  # §63
    IMPROPER_ACQUISITION = "improper_acquisition"  # §64
    BEYOND_PURPOSE = "beyond_purpose"  # §69①② / §71①


class Status(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    APPLIED = "applied"


DECISION_DAYS = 30  # §94① / §102①
EXTENSION_DAYS = 30  # §94② / §102②
CORRECTION_WINDOW_DAYS = 90  # §90③

# 訂正 under another law's own procedure (§90① ただし書): refused here, with the referral.
OWN_PROCEDURE = {
    Target.RESIDENT_RECORD: "住民基本台帳法 §14: corrected on the 住民票; address-sync receives the 異動",
    Target.ASSESSMENT: "地方税法 §19 / 行政不服審査法: 更正 or 審査請求, not 訂正請求",
}


class RequestRefused(ValueError):
    """The register refuses the step; `code` is stable, `basis` cites the law."""

    def __init__(self, code: str, basis: str):
        super().__init__(f"{code}: {basis}")
        self.code = code
        self.basis = basis


def due_on(received_on: dt.date, extended: bool = False) -> dt.date:
    """Last day for the decision (§94, §102): 30 days from the request, 60 when extended."""
    return received_on + dt.timedelta(days=DECISION_DAYS + (EXTENSION_DAYS if extended else 0))


def check_new(kind: Kind, received_on: dt.date, disclosed_on: dt.date | None) -> None:
    """A request can be registered: a disclosure date is not in the future, and a 訂正請求 comes
    within 90 days of it (§90③)."""
    if disclosed_on is not None and disclosed_on > received_on:
        raise RequestRefused("disclosed_in_future", "the disclosure date is after today")
    if (
        kind is Kind.CORRECTION
        and disclosed_on is not None
        and (received_on - disclosed_on).days > CORRECTION_WINDOW_DAYS
    ):
        raise RequestRefused(
            "correction_window_passed", "個人情報保護法 §90③: within 90 days of the disclosure"
        )


@dataclass(frozen=True)
class Decision:
    status: Status
    basis: str


def decide(kind: Kind, target: Target, status: Status, accept: bool, ground: Ground | None) -> Decision:
    """The officer's decision on a received request, refused where the law does not allow it."""
    if status is not Status.RECEIVED:
        raise RequestRefused("already_decided", f"the request is {status.value}")
    if not accept:
        return Decision(Status.REFUSED, "refused by the officer (reason in the note)")
    if kind is Kind.CORRECTION:
        if target in OWN_PROCEDURE:
            raise RequestRefused("own_procedure", "個人情報保護法 §90① ただし書: " + OWN_PROCEDURE[target])
        return Decision(Status.ACCEPTED, "個人情報保護法 §92: 訂正 of what was found wrong")
    if ground is None:
        raise RequestRefused("no_ground", "個人情報保護法 §98①: 利用停止 needs a ground the law lists")
    return Decision(Status.ACCEPTED, f"個人情報保護法 §100: 利用停止 on ground {ground.value}")


def check_apply(status: Status) -> None:
    """Only an accepted request is applied, once."""
    if status is not Status.ACCEPTED:
        raise RequestRefused("not_accepted", f"the request is {status.value}")
