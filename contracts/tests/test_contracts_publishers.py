"""Every routing key has an owner and a declared set of publishers; staff actions carry a proof field."""

import pytest
from osame_contracts.base import Kind
from osame_contracts.publishers import (
    COMMAND_PUBLISHERS,
    EVENT_PUBLISHERS,
    OUTSIDE_SYSTEMS,
    PRINCIPALS,
    PUBLISHERS,
    UndeclaredPublishers,
    allowed_publishers,
    owner,
    published_by,
)
from osame_contracts.registry import REGISTRY
from osame_contracts.topology import SERVICES, SUBSCRIPTIONS


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_message_has_a_declared_publisher_set(key):
    model = REGISTRY[key]
    publishers = allowed_publishers(key)
    assert publishers, f"{key}: nobody may publish it (declare it in osame_contracts.publishers)"
    assert publishers <= set(PRINCIPALS), f"{key}: unknown principals {sorted(publishers - set(PRINCIPALS))}"
    assert owner(model) in PRINCIPALS
    if model.kind is Kind.EVENT:
        assert owner(model) in publishers, "an event is published by its owner"
    else:
        assert owner(model) in SERVICES, "a command is owned by the service that executes it"
        consumers = [s for s, models in SUBSCRIPTIONS.items() if model in models]
        assert consumers == [owner(model)]


def test_declarations_name_only_registered_messages_of_the_right_kind():
    for key in COMMAND_PUBLISHERS:
        assert REGISTRY[key].kind is Kind.COMMAND, key
    for key in EVENT_PUBLISHERS:
        assert REGISTRY[key].kind is Kind.EVENT, key
    assert set(PUBLISHERS) == set(REGISTRY)


def test_principals_are_services_and_outside_systems_with_distinct_names():
    assert len(set(PRINCIPALS)) == len(PRINCIPALS)
    assert not set(SERVICES) & set(OUTSIDE_SYSTEMS)
    for principal in PRINCIPALS:
        assert principal.replace("-", "").isalpha() and principal.islower(), principal


def test_outside_systems_publish_only_what_they_are_declared_for():
    assert {m.routing_key for m in published_by("taxation")} == {
        "taxation.assessment.registered.v1",
        "taxation.assessment.changed.v1",
        # 給与特別徴収 (issue 15 phase 2 step 1): the 税務システム's 決定, 税額変更 and 異動
        "taxation.special-collection.determined.v1",
        "taxation.special-collection.changed.v1",
        "taxation.special-collection.separated.v1",
    }
    assert {m.routing_key for m in published_by("jumin")} == {
        "address-sync.resident-change.record.v1",
        "address-sync.protection.upsert.v1",
    }
    assert {m.routing_key for m in published_by("channels")} == {"receipts.receipt.record.v1"}
    for system in OUTSIDE_SYSTEMS:
        assert published_by(system), f"{system} publishes nothing: remove it"


def test_unknown_routing_key_has_no_publishers():
    with pytest.raises(UndeclaredPublishers):
        allowed_publishers("receipts.nothing.happened.v1")


@pytest.mark.parametrize("key", sorted(k for k, m in REGISTRY.items() if m.staff_field))
def test_a_staff_action_carries_a_proof_beside_its_staff_field(key):
    model = REGISTRY[key]
    assert model.staff_field in model.model_fields
    assert "staff_proof" in model.model_fields


def test_the_staff_actions_on_the_bus():
    assert {k for k, m in REGISTRY.items() if m.staff_field} == {
        "collection.income-query.requested.v2",
        "address-sync.merge.record.v2",
    }
