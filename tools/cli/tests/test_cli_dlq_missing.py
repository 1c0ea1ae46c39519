"""`osame dlq list` must not show a healthy 0 for dead-letter queues that do not exist."""

from __future__ import annotations

import asyncio

import pytest
from osame_chassis.messaging.topology import Names, declare_dead_letter_queues, declare_exchanges
from osame_cli.bus import connect
from osame_cli.main import app
from osame_contracts.topology import all_queues
from typer.testing import CliRunner

runner = CliRunner()


@pytest.mark.integration
def test_a_prefix_with_no_queues_is_reported_and_fails(amqp_url, broker_prefix):
    result = runner.invoke(app, ["dlq", "list", "--amqp-url", amqp_url, "--prefix", broker_prefix])
    assert result.exit_code == 1, result.output
    total = len(all_queues())
    assert (
        f"{total} of {total} dead-letter queues do not exist under prefix {broker_prefix!r}" in result.output
    )
    assert "missing" in result.output


@pytest.mark.integration
def test_declared_queues_show_their_depth(amqp_url, broker_prefix):
    async def declare():
        async with connect(amqp_url, broker_prefix) as bus:
            names = Names(broker_prefix)
            await declare_exchanges(bus.broker, names)
            await declare_dead_letter_queues(bus.broker, names, [broker_prefix + q for q in all_queues()])

    asyncio.run(declare())
    result = runner.invoke(app, ["dlq", "list", "--amqp-url", amqp_url, "--prefix", broker_prefix])
    assert result.exit_code == 0, result.output
    assert "missing" not in result.output and "do not exist" not in result.output


@pytest.mark.integration
def test_wrong_credentials_give_one_line(amqp_url):
    wrong = amqp_url.replace("guest:guest@", "guest:not-the-password@")
    result = runner.invoke(app, ["dlq", "list", "--amqp-url", wrong])
    assert result.exit_code == 2
    assert "refused user 'guest'" in result.output and "not-the-password" not in result.output
