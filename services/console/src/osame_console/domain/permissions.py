"""What a signed-in staff member may see and do in the console (権限による画面・操作の制御).

The console asks the same question the services ask: does one of the user's roles grant the
service's permission `<service>:<action>` (roles → permissions from `DEFAULT_ROLE_PERMISSIONS` or
`OSAME_AUTH_ROLE_PERMISSIONS`, the services' own setting)? A menu entry is shown only when the
user holds a permission its screen needs; a page or form checks its action before calling a
service, so a refused user gets 権限がありません without a call; and the services still enforce
every permission themselves (a 403 from them is shown the same way).

`staff` is anything with `can(permission) -> bool` (the chassis' `Principal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Staff(Protocol):
    user: str
    roles: tuple[str, ...]

    def can(self, permission: str) -> bool: ...


class Action(StrEnum):
    """Everything the console lets a user do, each mapped to the owning service's permission."""

    ADDRESSEE_SEARCH = "addressee.search"
    CASE_READ = "case.read"
    WORKLIST_READ = "worklist.read"
    WORKLIST_TEAM = "worklist.team"
    CONTACT_WRITE = "contact.write"
    PLEDGE_WRITE = "pledge.write"
    INQUIRY_WRITE = "inquiry.write"
    DISPOSITION_WRITE = "disposition.write"
    STAY_WRITE = "stay.write"
    BATCH_READ = "batch.read"
    BATCH_RUN = "batch.run"
    LETTERS_READ = "letters.read"
    COLLECTION_AUDIT = "collection.audit"
    ADDRESS_SYNC_AUDIT = "address-sync.audit"
    GATEWAY_AUDIT = "gateway.audit"
    CONSOLE_AUDIT = "console.audit"
    DEAD_LETTERS_READ = "dead-letters.read"
    OVERPAYMENT_READ = "overpayment.read"
    APPROPRIATION_READ = "appropriation.read"
    REFUND_READ = "refund.read"
    REFUND_PREPARE = "refund.prepare"
    REFUND_APPROVE = "refund.approve"
    PAYOUT_READ = "payout.read"
    NOTICE_READ = "notice.read"
    IMPORT_RUN = "import.run"
    IMPORT_READ = "import.read"
    UNMATCHED_READ = "unmatched.read"
    UNMATCHED_ASSIGN = "unmatched.assign"
    SUSPENSE_READ = "suspense.read"
    SUSPENSE_RESOLVE = "suspense.resolve"
    DAILY_TOTALS_READ = "daily-totals.read"
    CORRECTION_READ = "correction.read"
    CORRECTION_PROPOSE = "correction.propose"
    CORRECTION_APPROVE = "correction.approve"
    RECEIPTS_AUDIT = "receipts.audit"
    REFUNDS_AUDIT = "refunds.audit"


PERMISSION: dict[Action, str] = {
    Action.ADDRESSEE_SEARCH: "address-sync:addressee.read",
    Action.CASE_READ: "collection:cases.read",
    # 滞納整理 worklists: one's own (read); another 担当's or everybody's ("*") needs team too.
    Action.WORKLIST_READ: "collection:worklists.read",
    Action.WORKLIST_TEAM: "collection:worklists.team",
    Action.CONTACT_WRITE: "collection:cases.write",
    Action.PLEDGE_WRITE: "collection:cases.write",
    Action.INQUIRY_WRITE: "collection:cases.write",
    Action.DISPOSITION_WRITE: "collection:dispositions.write",
    Action.STAY_WRITE: "collection:stays.write",
    Action.BATCH_READ: "collection:batches.read",
    Action.BATCH_RUN: "collection:batches.run",
    Action.LETTERS_READ: "collection:print.read",
    Action.COLLECTION_AUDIT: "collection:audit.read",
    Action.ADDRESS_SYNC_AUDIT: "address-sync:audit.read",
    Action.GATEWAY_AUDIT: "intermediate-server-gw:audit.read",
    # 還付・充当 (refunds). 収納担当 (receipts_staff) holds the first three reads only: the role
    # that records money may see the queues but never prepare, approve or pay a refund.
    Action.OVERPAYMENT_READ: "refunds:overpayment.read",
    Action.APPROPRIATION_READ: "refunds:appropriation.read",
    Action.REFUND_READ: "refunds:refund.read",
    Action.REFUND_PREPARE: "refunds:refund.prepare",
    Action.REFUND_APPROVE: "refunds:refund.approve",
    Action.PAYOUT_READ: "refunds:payout.read",
    Action.NOTICE_READ: "refunds:notice.read",
    # 収納 (receipts): 収納担当 (receipts_staff) holds receipts:*; the others none of these.
    Action.IMPORT_RUN: "receipts:import.run",
    Action.IMPORT_READ: "receipts:import.read",
    Action.UNMATCHED_READ: "receipts:unmatched.read",
    Action.UNMATCHED_ASSIGN: "receipts:unmatched.assign",
    Action.SUSPENSE_READ: "receipts:suspense.read",
    Action.SUSPENSE_RESOLVE: "receipts:suspense.resolve",
    Action.DAILY_TOTALS_READ: "receipts:daily-totals.read",
    # 収納訂正: proposed by one 収納担当, decided (approved or refused) by another; receipts
    # refuses the proposer as approver whatever the roles say.
    Action.CORRECTION_READ: "receipts:correction.read",
    Action.CORRECTION_PROPOSE: "receipts:correction.propose",
    Action.CORRECTION_APPROVE: "receipts:correction.approve",
    # 管理: each service's own audit trail (`GET /audit`, `GET /audit/verify`).
    Action.RECEIPTS_AUDIT: "receipts:audit.read",
    Action.REFUNDS_AUDIT: "refunds:audit.read",
    # The console's own: its sign-in/sign-out trail, and the broker's dead-letter depths.
    Action.CONSOLE_AUDIT: "console:audit.read",
    Action.DEAD_LETTERS_READ: "console:dead-letters.read",
}


def allowed(staff: Staff, action: Action) -> bool:
    return staff.can(PERMISSION[action])


class Forbidden(Exception):
    """The user's roles do not grant the action (shown as 権限がありません)."""

    def __init__(self, action: Action):
        super().__init__(action.value)
        self.action = action


def require(staff: Staff, action: Action) -> None:
    if not allowed(staff, action):
        raise Forbidden(action)


@dataclass(frozen=True)
class Screen:
    """One menu entry: shown when any of its actions is allowed."""

    key: str
    label: str
    path: str
    actions: tuple[Action, ...]


ADMIN_ACTIONS = (
    Action.RECEIPTS_AUDIT,
    Action.REFUNDS_AUDIT,
    Action.COLLECTION_AUDIT,
    Action.ADDRESS_SYNC_AUDIT,
    Action.GATEWAY_AUDIT,
    Action.CONSOLE_AUDIT,
    Action.DEAD_LETTERS_READ,
)

MENU: tuple[Screen, ...] = (
    Screen("addressees", "宛名検索", "/addressees", (Action.ADDRESSEE_SEARCH,)),
    Screen(
        "receipts",
        "収納",
        "/receipts",
        (
            Action.IMPORT_READ,
            Action.IMPORT_RUN,
            Action.UNMATCHED_READ,
            Action.SUSPENSE_READ,
            Action.DAILY_TOTALS_READ,
            Action.CORRECTION_READ,
        ),
    ),
    Screen("worklists", "担当一覧", "/worklists", (Action.WORKLIST_READ,)),
    Screen("cases", "滞納整理", "/cases", (Action.CASE_READ,)),
    Screen("batches", "夜間バッチ", "/batches", (Action.BATCH_READ,)),
    Screen(
        "refunds",
        "還付・充当",
        "/refunds",
        (Action.REFUND_READ, Action.OVERPAYMENT_READ, Action.APPROPRIATION_READ, Action.PAYOUT_READ),
    ),
    Screen("admin", "管理", "/admin", ADMIN_ACTIONS),
)


def screen(key: str) -> Screen:
    return next(s for s in MENU if s.key == key)


def may_open(staff: Staff, entry: Screen) -> bool:
    return any(allowed(staff, a) for a in entry.actions)


def menu_for(staff: Staff) -> list[Screen]:
    """The menu entries this user may open, in menu order."""
    return [s for s in MENU if may_open(staff, s)]


def require_screen(staff: Staff, key: str) -> None:
    entry = screen(key)
    if not may_open(staff, entry):
        raise Forbidden(entry.actions[0])


ROLE_LABELS: dict[str, str] = {
    "admin": "システム管理者",
    "collection_staff": "滞納整理担当",
    "receipts_staff": "収納担当",
    "refunds_staff": "還付・充当担当",
    "addressee_staff": "宛名管理担当",
    "auditor": "監査担当",
    "disclosure_officer": "開示担当",
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
