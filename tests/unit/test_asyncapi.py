"""Each service's AsyncAPI document is generated from its subscribers, with contract payloads."""

from __future__ import annotations

import importlib

import pytest
from osame_chassis.cli import asyncapi_document
from osame_contracts.topology import SUBSCRIPTIONS, queue_name

MODULES = {
    "receipts": "osame_receipts.bootstrap",
    "refunds": "osame_refunds.bootstrap",
    "collection": "osame_collection.bootstrap",
    "address-sync": "osame_address_sync.bootstrap",
    "intermediate-server-gw": "osame_gateway.bootstrap",
}


@pytest.mark.parametrize("service", sorted(MODULES))
def test_asyncapi_lists_every_queue_with_its_contract_payload(service, monkeypatch, tmp_path):
    monkeypatch.setenv("OSAME_DATA_DIR", str(tmp_path))
    spec = importlib.import_module(MODULES[service]).build_spec()
    doc = asyncapi_document(spec)
    assert doc["asyncapi"].startswith("3.")
    text = str(doc)
    for model in SUBSCRIPTIONS[service]:
        assert queue_name(service, model) in text
        assert model.__name__ in doc["components"]["schemas"]
    payloads = [m["payload"]["$ref"] for m in doc["components"]["messages"].values()]
    assert len(payloads) == len(SUBSCRIPTIONS[service])
