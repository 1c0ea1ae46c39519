"""Permission handling: the menu and each action follow the roles' permissions, exactly as the
services compute them (chassis `permissions_for` over `DEFAULT_ROLE_PERMISSIONS`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from osame_chassis.auth import DEFAULT_ROLE_PERMISSIONS, grants, permissions_for
from osame_console.domain.permissions import (
    MENU,
    PERMISSION,
    Action,
    Forbidden,
    allowed,
    menu_for,
    require,
    require_screen,
)


@dataclass(frozen=True)
class Staff:
    user: str
    roles: tuple[str, ...]

    def can(self, permission: str) -> bool:
        return grants(permissions_for(self.roles, DEFAULT_ROLE_PERMISSIONS), permission)


def keys(roles: tuple[str, ...]) -> list[str]:
    return [s.key for s in menu_for(Staff("u", roles))]


@pytest.mark.parametrize(
    ("roles", "menu"),
    [
        (("admin",), ["addressees", "receipts", "worklists", "cases", "batches", "refunds", "admin"]),
        (("addressee_staff",), ["addressees", "admin"]),  # address-sync:* includes its audit
        (("auditor",), ["admin"]),  # *:audit.read
        # 収納, and reads the 還付・充当 queues (never acts on them)
        # (receipts:* and refunds:* include each one's own audit.read: 管理 shows that trail)
        (("receipts_staff",), ["receipts", "refunds", "admin"]),
        (("refunds_staff",), ["refunds", "admin"]),
        (("disclosure_officer",), []),
        (("linkage_gateway",), []),  # a service identity has no screen
        ((), []),
        (("no_such_role",), []),
    ],
)
def test_menu_per_role(roles, menu):
    assert keys(roles) == menu


def test_collection_staff_sees_search_case_work_batches_and_its_audit():
    # 宛名検索 through address-sync:addressee.read; 管理 through collection:* ⊇ collection:audit.read
    assert keys(("collection_staff",)) == ["addressees", "worklists", "cases", "batches", "admin"]


def test_roles_add_up():
    assert keys(("collection_staff", "addressee_staff")) == [
        "addressees",
        "worklists",
        "cases",
        "batches",
        "admin",
    ]


@pytest.mark.parametrize(
    ("roles", "action", "expected"),
    [
        (("collection_staff",), Action.CONTACT_WRITE, True),
        (("collection_staff",), Action.BATCH_RUN, True),
        (("collection_staff",), Action.DEAD_LETTERS_READ, False),
        (("auditor",), Action.CONTACT_WRITE, False),
        (("auditor",), Action.COLLECTION_AUDIT, True),
        (("auditor",), Action.CONSOLE_AUDIT, True),
        (("auditor",), Action.GATEWAY_AUDIT, True),
        (("receipts_staff",), Action.CASE_READ, False),
        (("admin",), Action.DEAD_LETTERS_READ, True),
        (("addressee_staff",), Action.ADDRESSEE_SEARCH, True),
        (("addressee_staff",), Action.CASE_READ, False),
        (("collection_staff",), Action.WORKLIST_READ, True),
        (("collection_staff",), Action.WORKLIST_TEAM, True),  # collection:* ⊇ worklists.team
        (("auditor",), Action.WORKLIST_READ, False),
        (("receipts_staff",), Action.WORKLIST_READ, False),
    ],
)
def test_actions_per_role(roles, action, expected):
    assert allowed(Staff("u", roles), action) is expected


def test_require_refuses_with_the_action():
    with pytest.raises(Forbidden) as refused:
        require(Staff("u", ("receipts_staff",)), Action.CASE_READ)
    assert refused.value.action is Action.CASE_READ
    with pytest.raises(Forbidden):
        require_screen(Staff("u", ("receipts_staff",)), "cases")
    require_screen(Staff("u", ("auditor",)), "admin")  # any of the admin panels is enough


def test_every_action_maps_to_a_service_permission_and_every_screen_has_actions():
    assert set(PERMISSION) == set(Action)
    for permission in PERMISSION.values():
        service, _, action = permission.partition(":")
        assert service and action
    assert all(s.actions for s in MENU)


def test_a_changed_role_map_changes_the_menu():
    """Roles → permissions come from settings (OSAME_AUTH_ROLE_PERMISSIONS), not from the console."""

    @dataclass(frozen=True)
    class Custom(Staff):
        def can(self, permission: str) -> bool:
            return grants(permissions_for(self.roles, {"viewer": ["collection:cases.read"]}), permission)

    assert [s.key for s in menu_for(Custom("u", ("viewer",)))] == ["cases"]


def test_refunds_actions_per_role():
    """収納担当 reads the 還付・充当 queues but may not prepare, approve, pay out or print; a
    還付・充当担当 may do all; 滞納整理担当 sees none of it."""
    cashier, officer, collector = (
        Staff("u", (r,)) for r in ("receipts_staff", "refunds_staff", "collection_staff")
    )
    reads = (Action.REFUND_READ, Action.OVERPAYMENT_READ, Action.APPROPRIATION_READ)
    acts = (Action.REFUND_PREPARE, Action.REFUND_APPROVE, Action.PAYOUT_READ, Action.NOTICE_READ)
    assert all(allowed(cashier, a) for a in reads) and not any(allowed(cashier, a) for a in acts)
    assert all(allowed(officer, a) for a in reads + acts)
    assert not any(allowed(collector, a) for a in reads + acts)
    with pytest.raises(Forbidden):
        require(cashier, Action.REFUND_APPROVE)


def test_receipts_actions_per_role():
    """収納 is the 収納担当's (receipts:*): import, assign, resolve, 日計; the refunds, collection and
    audit roles see none of it (their menus have no 収納 entry)."""
    receipts_actions = (
        Action.IMPORT_RUN,
        Action.IMPORT_READ,
        Action.UNMATCHED_READ,
        Action.UNMATCHED_ASSIGN,
        Action.SUSPENSE_READ,
        Action.SUSPENSE_RESOLVE,
        Action.DAILY_TOTALS_READ,
    )
    assert all(allowed(Staff("u", ("receipts_staff",)), a) for a in receipts_actions)
    for role in ("refunds_staff", "collection_staff", "auditor", "addressee_staff"):
        assert not any(allowed(Staff("u", (role,)), a) for a in receipts_actions), role
        with pytest.raises(Forbidden):
            require_screen(Staff("u", (role,)), "receipts")


def test_worklists_own_list_without_team_and_the_selector_only_with_team():
    """担当一覧: worklists.read opens one's own lists; another 担当's, or "*", needs worklists.team
    (collection checks both again); the 担当 selector follows the same permission."""
    from osame_console.domain.errors import InputRefused
    from osame_console.service_layer.worklists import checked_assignee, may_choose_assignee

    @dataclass(frozen=True)
    class OwnOnly(Staff):
        def can(self, permission: str) -> bool:
            table = {"worker": ["collection:worklists.read"]}
            return grants(permissions_for(self.roles, table), permission)

    own, team = OwnOnly("tainou01", ("worker",)), Staff("tainou01", ("collection_staff",))
    assert [s.key for s in menu_for(own)] == ["worklists"]
    assert not may_choose_assignee(own) and may_choose_assignee(team)
    assert checked_assignee(own, None, "cases") is None
    assert checked_assignee(own, " tainou01 ", "cases") is None  # oneself is one's own list
    for other in ("tainou02", "*"):
        with pytest.raises(Forbidden) as refused:
            checked_assignee(own, other, "promises")
        assert refused.value.action is Action.WORKLIST_TEAM
    assert checked_assignee(team, "tainou02", "cases") == "tainou02"
    assert checked_assignee(team, "*", "limitation") == "*"
    with pytest.raises(InputRefused) as typed:
        checked_assignee(team, "*", "cases")  # collection lists 担当案件 of one 担当 only
    assert set(typed.value.fields) == {"assignee"}
