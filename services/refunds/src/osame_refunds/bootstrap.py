"""Composition root of the refunds service."""

from __future__ import annotations

from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings
from osame_law import calendar
from osame_zengin.transfer import Remitter

from osame_refunds.adapters.notices_pdf import DEFAULT_FONT
from osame_refunds.adapters.repository import stats
from osame_refunds.entrypoints.consumers import register
from osame_refunds.entrypoints.http import routes


class RefundsSettings(ServiceSettings):
    service_name: str = "refunds"
    http_port: int = 8102
    # The city's paying account for 総合振込 (振込依頼人). Demo values; set per city.
    remitter_code: str = "0000000001"
    remitter_name_kana: str = "ﾀｶｵｶｼｶｲｹｲｶﾝﾘｼｬ"
    remitter_bank_code: str = "0001"
    remitter_bank_name_kana: str = "ﾐｽﾞﾎ"
    remitter_branch_code: str = "001"
    remitter_branch_name_kana: str = "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ"
    remitter_account_type: str = "1"
    remitter_account_number: str = "0000001"
    # 充当通知書 / 還付通知書: the issuing office and the TrueType font embedded in the PDF.
    notice_city: str = "高岡市 税務部 収納課"
    notice_font: Path = DEFAULT_FONT

    def remitter(self) -> Remitter:
        return Remitter(
            self.remitter_code,
            self.remitter_name_kana,
            self.remitter_bank_code,
            self.remitter_bank_name_kana,
            self.remitter_branch_code,
            self.remitter_branch_name_kana,
            self.remitter_account_type,
            self.remitter_account_number,
        )


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=RefundsSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        routes=routes,
        title="Osame refunds (還付・充当)",
        warm_up=calendar.warm_up,  # the holiday calendar: seconds of CPU at first use
    )
