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


def designated_deadline(
    kind: str, issued_on: date, earliest_seizure_on: date | None, reminder_days: int = REMINDER_DEADLINE_DAYS
) -> date | None:
    """The 指定期限 printed on the letter (None: a held 督促状 has none until it is served); a
    催告書's ``reminder_days`` is the row in force on its issue day (``domain.law_parameters``)."""
    if kind == "demand_notice":
        return earliest_seizure_on - timedelta(days=1) if earliest_seizure_on else None
    return shift_due_date(issued_on + timedelta(days=reminder_days))


def instructions(kind: str, city: str) -> tuple[str, ...]:
    """The 教示 of the letter (only a 督促状 is a 処分)."""
    if kind != "demand_notice":
        return ()
    return tuple(line.format(city=city) for line in KYOJI_DEMAND)


# -- 差押調書 and 執行停止通知書 ----------------------------------------------------------------
# Both are rendered from lines built here (pure; the adapter only lays them out).
#
# 差押調書 (国税徴収法54条, applied to 市町村税 by 地方税法331条⑥) [M: the statute names the
# contents; the layout is Osame's]: the 滞納者, the taxes the 差押 is for (年度, 税目, 納期限, 本税,
# 延滞金 "法律による金額" as accrued), the property seized, the day, the official. For a 債権 (預貯金,
# 給与) a 謄本 goes to the 滞納者 (徴収法54条二); the 差押禁止 part kept out is shown.
# 執行停止通知書 (地方税法15条の7②) [H]: the 滞納者 is told that the 滞納処分 is stopped, on which
# ground (15条の7①一〜三) and from which day, and what follows (延滞金 exempt, 法15条の9①; the debt
# ends after 3 years, 15条の7④, or at once, 15条の7⑤).

PROPERTY = {
    "deposit": "預貯金債権",
    "salary": "給与債権",
    "pension": "年金債権",
    "real_estate": "不動産",
    "vehicle": "自動車",
    "movables": "動産",
    "receivable": "債権",
}
STAY_GROUNDS = {
    "no_property": "滞納処分をすることができる財産がないとき（地方税法第15条の7第1項第1号）",
    "livelihood": "滞納処分をすることによってその生活を著しく窮迫させるおそれがあるとき（同項第2号）",
    "whereabouts_unknown": "その所在及び滞納処分をすることができる財産がともに不明であるとき（同項第3号）",
}


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def seizure_record_lines(record: dict, items: list[dict], day_text) -> list[tuple[int, str]]:
    """(font size, text) lines of a 差押調書 (謄本). ``record``: the disposition; ``items``: the
    installments it is for, each with ``principal_tax_due`` and ``late_fee``; ``day_text`` renders
    a date (和暦)."""
    lines = [
        (16, "差 押 調 書（謄本）"),
        (9, "国税徴収法第54条（地方税法第331条第6項により準用）"),
        (10, f"宛名番号 {record['addressee_id']}"),
        (10, f"差押年月日 {day_text(record['executed_on'])}"),
        (11, "1 差押財産"),
        (10, f"  {PROPERTY.get(record['property_type'] or '', record['property_type'] or '')}"),
        (10, f"  差押金額 {_yen(record['amount'])}"),
    ]
    if record["protected_amount"]:
        lines.append((10, f"  差押禁止額（差し押さえない額） {_yen(record['protected_amount'])}"))
    lines.append((11, "2 差押えに係る滞納税額"))
    for item in items:
        lines.append(
            (
                9,
                f"  {item['fiscal_year']}年度 {item['tax_item_text']} 第{item['installment_no']}期 "
                f"納期限 {day_text(item['due_date'])} 本税 {_yen(item['principal_tax_due'])} "
                f"延滞金 {_yen(item['late_fee'])}（{day_text(record['executed_on'])}現在）",
            )
        )
    lines.append((9, "延滞金は納付の日までの日数に応じて加算されます（地方税法第326条）。"))
    return lines


def stay_notice_lines(stay: dict, extinguished_on, day_text, city: str) -> list[tuple[int, str]]:
    """(font size, text) lines of a 執行停止通知書 (地方税法15条の7②)."""
    lines = [
        (16, "滞納処分の執行停止通知書"),
        (10, f"宛名番号 {stay['addressee_id']}"),
        (
            10,
            f"あなたの滞納市税について、地方税法第15条の7第1項の規定により、{day_text(stay['decided_on'])}から"
            "滞納処分の執行を停止したので、同条第2項の規定により通知します。",
        ),
        (11, "停止の理由"),
        (10, f"  {STAY_GROUNDS.get(stay['ground'], stay['ground'])}"),
        (10, "執行停止の期間中の延滞金は免除されます（地方税法第15条の9第1項）。"),
    ]
    if stay["immediate_extinction"]:
        lines.append(
            (10, "徴収することができないことが明らかであるため、納付義務を直ちに消滅させます（同条第5項）。")
        )
    elif extinguished_on is not None:
        lines.append(
            (
                10,
                f"執行停止が3年間継続したときは、{day_text(extinguished_on)}に納付義務が消滅します（同条第4項）。"
                "ただし、資力の回復などにより執行停止を取り消すことがあります（地方税法第15条の8）。",
            )
        )
    lines.append((10, f"{city}長"))
    return lines
