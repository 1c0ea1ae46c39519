"""宛名検索: by 宛名番号 or カナ氏名 (partial), over address-sync's staff search API.

The search terms travel in the request body (never in a URL). Address-sync masks the records of
people under 支援措置 unless the staff member's roles grant `address-sync:protection.read`; the
console shows what it is given and marks those records.
"""

from __future__ import annotations

from osame_console.adapters.services import ServicesClient
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, require
from osame_console.service_layer.signin import StaffSession


async def search(
    api: ServicesClient, staff: StaffSession, addressee_id: str | None, name_kana: str | None
) -> dict:
    require(staff, Action.ADDRESSEE_SEARCH)
    typed_id = forms.text(addressee_id)
    kana = forms.text(name_kana)
    if not typed_id and not kana:
        raise InputRefused({"name_kana": "宛名番号かカナ氏名のどちらかを入力してください"})
    body: dict = {}
    if typed_id:
        found = forms.addressee_id(typed_id)
        if found is None:
            raise InputRefused({"addressee_id": "宛名番号は半角数字15桁以内で入力してください"})
        body["addressee_id"] = found
    if kana:
        body["name_kana"] = kana
    return await api.post_json("address-sync", "/addressees/search", staff.access_token, body)
