"""What makes a 督促状 / 催告書 a legal document: its 指定期限, its 教示, the 納付書 data.

- **指定期限 of a 督促状** (法329①, 331①一) [H: domain-rules §10.4]: a 差押 is possible when the
  tax is not paid in full by the day on which 10 days have passed from the issue (issued 10/1 →
  10/11); that day is the letter's 指定期限 (= the earliest seizure day − 1). A held 督促状 (not
  served) has none until it is served.
- **指定期限 of a 催告書**: no statute sets it; city practice (UNCONFIRMED for Takaoka) gives about
  two weeks — ``REMINDER_DEADLINE_DAYS`` after the issue, moved to the next business day when it
  falls on a closed day (法20条の5②, ``osame_law.shift_due_date``).
- **教示** (行政不服審査法82条①, 行政事件訴訟法46条①): a 督促 is a 処分 and its letter states how
  to appeal. 審査請求 to the mayor within 3 months of the day after the 督促 became known
  (行審法18条①) [H: domain-rules "Appeals against a 督促 (審査請求) must be filed within 3
  months"]; with the local-tax special limit that a 督促 can no longer be appealed once the 差押
  notice is received and its period has run (地方税法19条の4一) and 審査請求前置 for the 取消訴訟
  (地方税法19条の12), which is brought within 6 months of the day after the 裁決 is received
  (行訴法14条①), the city as defendant represented by the mayor — the wording is Osame's and
  UNCONFIRMED until the city's legal office approves it. A 催告 is not a 処分 (a request to pay,
  no legal effect of its own beyond 民法150): the 催告書 carries no 教示 (Osame's reading).
"""

from __future__ import annotations

from datetime import date, timedelta

from osame_law import shift_due_date

REMINDER_DEADLINE_DAYS = 14

TITLES = {"demand_notice": "督 促 状", "reminder": "催 告 書"}

BODY = {
    "demand_notice": (
        "下記の市税が納期限までに納付されていませんので、地方税法第329条第1項の規定により督促します。",
        "指定期限までに完納されない場合は、地方税法第331条第1項の規定により財産を差し押さえることがあります。",
    ),
    "reminder": (
        "下記の市税が未納となっています。指定期限までに納付してください。",
        "納付がない場合は、財産の調査のうえ差押え等の滞納処分を行うことがあります。",
    ),
}

KYOJI_DEMAND = (
    "【教示】",
    "1 この督促について不服がある場合は、この督促があったことを知った日の翌日から起算して3か月以内に、"
    "{city}長に対して審査請求をすることができます（行政不服審査法第2条、第18条第1項）。ただし、"
    "差押えに係る通知を受けた日から起算して3日を経過した日以後は、審査請求をすることができません"
    "（地方税法第19条の4第1号）。",
    "2 この督促の取消しの訴えは、上記1の審査請求に対する裁決を経た後でなければ提起することができません"
    "（地方税法第19条の12）。取消しの訴えは、裁決の送達を受けた日の翌日から起算して6か月以内に、"
    "{city}を被告として（訴訟において{city}を代表する者は{city}長となります。）提起することができます"
    "（行政事件訴訟法第14条第1項）。",
)


def designated_deadline(kind: str, issued_on: date, earliest_seizure_on: date | None) -> date | None:
    """The 指定期限 printed on the letter (None: a held 督促状 has none until it is served)."""
    if kind == "demand_notice":
        return earliest_seizure_on - timedelta(days=1) if earliest_seizure_on else None
    return shift_due_date(issued_on + timedelta(days=REMINDER_DEADLINE_DAYS))


def instructions(kind: str, city: str) -> tuple[str, ...]:
    """The 教示 of the letter (only a 督促状 is a 処分)."""
    if kind != "demand_notice":
        return ()
    return tuple(line.format(city=city) for line in KYOJI_DEMAND)
