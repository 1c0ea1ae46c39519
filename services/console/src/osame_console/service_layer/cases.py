"""滞納整理: the case page and what staff record on it, over collection's API.

Each use case checks the staff member's permission first (no call when refused), then makes one
call with their token; collection enforces the permission again and validates the values.
The case is viewed as of the business date (the server's, never a request field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from osame_console.adapters.services import ServicesClient
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, Staff, allowed, require
from osame_console.service_layer.signin import StaffSession

PLEDGE_ROWS = 12


def checked_addressee_id(value: str | None) -> str:
    found = forms.addressee_id(value)
    if found is None:
        raise InputRefused({"addressee_id": "宛名番号は半角数字15桁以内で入力してください"})
    return found


async def view_case(api: ServicesClient, staff: StaffSession, addressee_id: str, as_of: dt.date) -> dict:
    require(staff, Action.CASE_READ)
    addressee_id = checked_addressee_id(addressee_id)
    return await api.get_json(
        "collection", f"/cases/{addressee_id}", staff.access_token, params={"as_of": as_of.isoformat()}
    )


def contact_body(form: Mapping[str, str]) -> dict:
    return {
        "contacted_on": forms.optional(form.get("contacted_on")),
        "channel": forms.optional(form.get("channel")),
        "summary": (form.get("summary") or "").strip(),
    }


def pledge_body(form: Mapping[str, str]) -> dict:
    body = {"signed_on": forms.optional(form.get("signed_on")), "schedule": forms.schedule(form, PLEDGE_ROWS)}
    if grace := forms.amount(form.get("grace_days")):
        body["grace_days"] = grace
    return body


def inquiry_body(form: Mapping[str, str]) -> dict:
    body: dict = {
        "kind": forms.optional(form.get("kind")),
        "requested_on": forms.optional(form.get("requested_on")),
    }
    if body["kind"] == "income":
        body["fiscal_year"] = forms.amount(form.get("fiscal_year"))
    elif institution := forms.optional(form.get("institution")):
        body["detail"] = {"institution": institution}
    return body


def disposition_body(form: Mapping[str, str]) -> dict:
    body: dict = {
        "kind": forms.optional(form.get("kind")),
        "executed_on": forms.optional(form.get("executed_on")),
        "amount": forms.amount(form.get("amount")),
    }
    if body["kind"] in ("seizure", "joint_seizure"):
        body["property_type"] = forms.optional(form.get("property_type"))
        body["holder"] = {
            "name": (form.get("holder.name") or "").strip(),
            "address": (form.get("holder.address") or "").strip(),
            "birth_date": forms.optional(form.get("holder.birth_date")),
        }
        if (balance := forms.amount(form.get("deposit_balance"))) is not None:
            body["deposit_balance"] = balance
    return body


def stay_body(form: Mapping[str, str]) -> dict:
    return {
        "ground": forms.optional(form.get("ground")),
        "decided_on": forms.optional(form.get("decided_on")),
        "immediate_extinction": form.get("immediate_extinction") == "on",
    }


# action → (permission, collection path below /cases/{id}, body builder)
RECORDS = {
    "contacts": (Action.CONTACT_WRITE, "contacts", contact_body),
    "pledges": (Action.PLEDGE_WRITE, "pledges", pledge_body),
    "inquiries": (Action.INQUIRY_WRITE, "inquiries", inquiry_body),
    "dispositions": (Action.DISPOSITION_WRITE, "dispositions", disposition_body),
    "stays": (Action.STAY_WRITE, "stays", stay_body),
}


def may_record(staff: Staff) -> dict[str, bool]:
    """Which record forms the case page shows this user."""
    return {name: allowed(staff, action) for name, (action, _, _) in RECORDS.items()}


async def record(
    api: ServicesClient, staff: StaffSession, addressee_id: str, kind: str, form: Mapping[str, str]
) -> dict:
    """One record on the case (折衝記録, 分納誓約, 財産調査, 処分, 執行停止); the service's answer."""
    action, path, build = RECORDS[kind]
    require(staff, action)
    addressee_id = checked_addressee_id(addressee_id)
    return await api.post_json("collection", f"/cases/{addressee_id}/{path}", staff.access_token, build(form))
