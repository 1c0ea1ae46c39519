"""保管期限: 情報提供等記録 are kept for a configured period (番号法 §23; 7 years per 施行令, UNCONFIRMED [L]).

The period is a setting (`OSAME_PROVISION_RECORD_RETENTION_DAYS`, default 7 years + 2 leap days).
"""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_RETENTION_DAYS = 7 * 365 + 2


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Records made before this instant are past their 保管期限 and are deleted."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    return now - timedelta(days=retention_days)
