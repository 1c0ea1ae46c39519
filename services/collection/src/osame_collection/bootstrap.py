"""Composition root of the collection service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from osame_chassis.runtime import ServiceSpec
from osame_chassis.settings import ServiceSettings
from osame_law import calendar
from pydantic import Field

from osame_collection.adapters.repository import stats
from osame_collection.entrypoints import cli, scheduler
from osame_collection.entrypoints.consumers import register
from osame_collection.entrypoints.http import routes
from osame_collection.service_layer.policy import CollectionPolicy


class CollectionSettings(ServiceSettings):
    service_name: str = "collection"
    http_port: int = 8103
    city: str = Field(default="高岡市", description="City name printed on letters")
    demand_fee_rules: list[tuple[dt.date, int]] = Field(
        default_factory=list,
        description="督促手数料 table as JSON [[effective_from, yen], ...]; empty = 高岡市 (100 yen)",
    )
    late_fee_segment_rounding: str = Field(
        default="per_segment",
        pattern="^(per_segment|sum_then_truncate)$",
        description="延滞金 segment rounding",
    )
    pledge_grace_days: int = Field(
        default=7, ge=0, le=60, description="履行監視: days after a pledge payment"
    )
    demand_cutoff_business_days: int = Field(
        default=3,
        ge=0,
        le=8,
        description="督促 only from the batch after N business days past the 納期限 (bank / 口座振替 lag; "
        "at most 8 keeps every 督促 within 法329's 20 days)",
    )
    agency_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{5}$",
        description="収納機関番号 printed in each letter line's eL番号 (納付書); none: no eL番号",
    )
    letter_font: Path = Field(
        default=Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
        description="TrueType font embedded in the letters' PDF",
    )
    nightly_at: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Run the nightly batch in the service every day at HH:MM Asia/Tokyo (batch date = that day)",
    )

    def policy(self) -> CollectionPolicy:
        return CollectionPolicy.from_settings(
            self.city,
            self.demand_fee_rules or None,
            self.late_fee_segment_rounding,
            self.pledge_grace_days,
            self.demand_cutoff_business_days,
            self.business_date,  # OSAME_BUSINESS_DATE (chassis; demos and simulations), else Tokyo today
        )


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        settings=CollectionSettings(),
        migrations=Path(__file__).parent / "migrations",
        register=register,
        stats=stats,
        title="Osame collection (滞納管理)",
        routes=routes,
        warm_up=calendar.warm_up,  # the holiday calendar: seconds of CPU at first use
        background=scheduler.run,  # the nightly batch at OSAME_NIGHTLY_AT
        commands=dict.fromkeys(cli.COMMANDS, operator_command),
    )


def operator_command(spec: ServiceSpec, argv: list[str]) -> None:
    """nightly | benchmark | rates | law: see `osame-collection NAME --help` (entrypoints/cli.py)."""
    cli.main(lambda: spec, argv)
