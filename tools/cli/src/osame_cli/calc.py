"""``osame calc``: 延滞金 and 還付加算金 calculators over ``osame_law`` (JSON on stdout).

Bad input exits with status 2 and a one-line ``error: ...`` on stderr. Options are parsed
here (not by click types) so every input error has the same one-line form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, NoReturn

import typer
from osame_law import (
    ExemptInterval,
    ExemptionKind,
    LateFeePolicy,
    LawError,
    PartialPayment,
    RefundCause,
    Segment,
    compute_late_fee,
    compute_refund_interest,
)

calc_app = typer.Typer(
    name="calc",
    help="Law calculations: 延滞金 (late fee) and 還付加算金 (refund interest).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # help texts like START:END:KIND must not turn into emoji
)

CAUSES = {
    "reassessment": RefundCause.REASSESSMENT,
    "correction-request": RefundCause.CORRECTION_REQUEST,
    "national-tax-change": RefundCause.NATIONAL_TAX_CHANGE,
    "erroneous-payment": RefundCause.ERRONEOUS_PAYMENT,
}
DEFERRALS = {
    "disaster": ExemptionKind.COLLECTION_DEFERRAL_DISASTER,
    "business": ExemptionKind.COLLECTION_DEFERRAL_BUSINESS,
    "conversion": ExemptionKind.CONVERSION_DEFERRAL,
}


class _InputError(Exception):
    pass


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _required(option: str, value: str | None) -> str:
    if value is None or value == "":
        raise _InputError(f"{option} is required")
    return value


def _date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _InputError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None


def _optional_date(option: str, value: str | None) -> date | None:
    return None if value is None else _date(option, value)


def _yen(option: str, value: str) -> int:
    text = value.replace(",", "").replace("_", "")
    if not text.isdigit():
        raise _InputError(f"{option} must be a whole number of yen, got {value!r}")
    return int(text)


def _pair(option: str, value: str, parts: int) -> list[str]:
    pieces = value.split(":")
    if len(pieces) != parts:
        shapes = {2: "A:B", 3: "A:B:C"}
        raise _InputError(f"{option} must look like {shapes[parts]}, got {value!r}")
    return pieces


def _rate(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _segment(segment: Segment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "from": segment.start.isoformat(),
        "to": segment.end.isoformat(),
        "days": segment.days,
        "rate": _rate(segment.rate),
        "base": segment.base,
        "yen": segment.yen,
    }
    if segment.tier is not None:
        data["tier"] = segment.tier.value
    if segment.relief is not None:
        data["normal_rate"] = _rate(segment.normal_rate)
        data["relief"] = segment.relief
        data["relief_rule"] = segment.relief_rule
    return data


def _print(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _late_fee_payload(
    tax: str | None,
    due: str | None,
    paid: str | None,
    payments: Sequence[str],
    stays: Sequence[str],
    deferrals: Sequence[str],
    first_tier_months: str,
) -> dict[str, Any]:
    partials = []
    for item in payments:
        day, amount = _pair("--payment", item, 2)
        partials.append(PartialPayment(_date("--payment", day), _yen("--payment", amount)))
    intervals = []
    for item in stays:
        start, end = _pair("--stay", item, 2)
        intervals.append(
            ExemptInterval(_date("--stay", start), _date("--stay", end), ExemptionKind.ENFORCEMENT_STAY)
        )
    for item in deferrals:
        start, end, kind = _pair("--deferral", item, 3)
        if kind not in DEFERRALS:
            raise _InputError(f"--deferral kind must be one of {', '.join(DEFERRALS)}, got {kind!r}")
        intervals.append(
            ExemptInterval(_date("--deferral", start), _date("--deferral", end), DEFERRALS[kind])
        )
    months = first_tier_months.strip()
    if not months.isdigit():
        raise _InputError(f"--first-tier-months must be a whole number, got {first_tier_months!r}")
    result = compute_late_fee(
        principal_tax=_yen("--tax", _required("--tax", tax)),
        due_date=_date("--due", _required("--due", due)),
        paid_on=_date("--paid", _required("--paid", paid)),
        partial_payments=partials,
        exempt_intervals=intervals,
        policy=LateFeePolicy(first_tier_months=int(months)),
    )
    return {
        "late_fee": result.late_fee,
        "unrounded_total": result.unrounded_total,
        "due_date": result.due_date.isoformat(),
        "first_tier_end": result.first_tier_end.isoformat() if result.first_tier_end else None,
        "segments": [_segment(s) for s in result.segments],
    }


@calc_app.command("late-fee")
def late_fee(
    tax: Annotated[str | None, typer.Option("--tax", help="本税 of the installment, yen (required)")] = None,
    due: Annotated[str | None, typer.Option("--due", help="納期限 YYYY-MM-DD (required)")] = None,
    paid: Annotated[
        str | None, typer.Option("--paid", help="date of full payment or calculation date (required)")
    ] = None,
    payment: Annotated[
        list[str] | None, typer.Option("--payment", help="partial payment DATE:YEN (repeatable)")
    ] = None,
    stay: Annotated[list[str] | None, typer.Option("--stay", help="執行停止 START:END (repeatable)")] = None,
    deferral: Annotated[
        list[str] | None,
        typer.Option(
            "--deferral", help="猶予 START:END:KIND, KIND = disaster|business|conversion (repeatable)"
        ),
    ] = None,
    first_tier_months: Annotated[
        str, typer.Option("--first-tier-months", help="months at the first-tier rate")
    ] = "1",
) -> None:
    """延滞金 of one installment (法326/369, 附則3条の2, 法20条の4の2)."""
    try:
        payload = _late_fee_payload(
            tax, due, paid, payment or [], stay or [], deferral or [], first_tier_months
        )
    except (_InputError, LawError) as exc:
        _fail(str(exc))
    _print(payload)


@calc_app.command("refund-interest")
def refund_interest(
    amount: Annotated[str | None, typer.Option("--amount", help="refund amount, yen (required)")] = None,
    cause: Annotated[str | None, typer.Option("--cause", help=f"required: {', '.join(CAUSES)}")] = None,
    paid: Annotated[str | None, typer.Option("--paid", help="payment date (required)")] = None,
    decided: Annotated[
        str | None, typer.Option("--decided", help="refund payout decision or 充当 date (required)")
    ] = None,
    notified: Annotated[str | None, typer.Option("--notified", help="national-tax notice date")] = None,
    requested: Annotated[str | None, typer.Option("--requested", help="更正の請求 date")] = None,
    corrected: Annotated[str | None, typer.Option("--corrected", help="更正 date")] = None,
    appropriable: Annotated[
        str | None, typer.Option("--appropriable", help="充当適状日 of an appropriated part")
    ] = None,
    claim_notice: Annotated[
        str | None, typer.Option("--claim-notice", help="date the claim notice was sent")
    ] = None,
    claimed: Annotated[str | None, typer.Option("--claimed", help="date the refund was claimed")] = None,
) -> None:
    """還付加算金 (法17条の4, 附則3条の2, 法20条の4の2)."""
    try:
        cause_text = _required("--cause", cause)
        if cause_text not in CAUSES:
            raise _InputError(f"--cause must be one of {', '.join(CAUSES)}, got {cause_text!r}")
        result = compute_refund_interest(
            amount=_yen("--amount", _required("--amount", amount)),
            cause=CAUSES[cause_text],
            paid_on=_date("--paid", _required("--paid", paid)),
            decided_on=_date("--decided", _required("--decided", decided)),
            notified_on=_optional_date("--notified", notified),
            requested_on=_optional_date("--requested", requested),
            corrected_on=_optional_date("--corrected", corrected),
            appropriable_on=_optional_date("--appropriable", appropriable),
            claim_notice_on=_optional_date("--claim-notice", claim_notice),
            claimed_on=_optional_date("--claimed", claimed),
        )
    except (_InputError, LawError) as exc:
        _fail(str(exc))
    _print(
        {
            "refund_interest": result.refund_interest,
            "unrounded_total": result.unrounded_total,
            "start": result.start.isoformat(),
            "end": result.end.isoformat(),
            "excluded_days": result.excluded_days,
            "segments": [_segment(s) for s in result.segments],
        }
    )
