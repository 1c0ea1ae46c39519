"""Least-privilege broker permissions for every principal, generated from the contracts.

One broker user per principal (`<prefix>osame-<principal>`, see `Names.user`): each Osame
service, each outside system of `osame_contracts.publishers.OUTSIDE_SYSTEMS`, and `operator`
(the `osame dlq` tool). RabbitMQ checks two layers, both generated here:

- `configure` / `write` / `read` regular expressions over (prefixed) exchange and queue names.
  A service configures only its own queues (`<prefix><service>.…`, work queues and DLQs),
  reads them, writes to the exchanges it publishes on, and reads (binds from) the exchanges
  it consumes from. It must also write to `osame.dlx` because RabbitMQ requires that of
  whoever declares a queue with a dead-letter exchange. No service may configure an exchange
  or publish on the default exchange (`amq.default`), which would reach any queue by name.
  An outside system may only write to the exchange it publishes on.
- Topic permissions on each of the three (topic) exchanges: `write` lists the routing keys the
  user may publish, `read` the routing keys it may bind a queue with. Every user gets an entry
  for every exchange, because a user without one is unrestricted; "" allows nothing.

`operator` reads and purges dead-letter queues and replays a dead letter to its work queue
through the default exchange, keeping the message's original `user_id`: that needs the
`impersonator` tag (as RabbitMQ's own shovels do). It may not read a work queue, configure
anything or publish on the Osame exchanges. Treat its credentials as break-glass; every
`osame dlq` action writes an audit line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from osame_contracts import topology as contract_topology
from osame_contracts.base import Kind, Message
from osame_contracts.publishers import OUTSIDE_SYSTEMS, PRINCIPALS, published_by

from osame_chassis.messaging.topology import Names

OPERATOR = "operator"
NOTHING = ""  # RabbitMQ: an empty pattern matches no resource and no routing key


@dataclass(frozen=True)
class TopicGrant:
    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Grant:
    principal: str
    user: str
    tags: tuple[str, ...]
    configure: str
    write: str
    read: str
    topics: tuple[TopicGrant, ...]


def _exactly(names: list[str]) -> str:
    if not names:
        return NOTHING
    return "^(?:" + "|".join(re.escape(n) for n in sorted(set(names))) + ")$"


def _any_of(parts: list[str]) -> str:
    """Alternation of anchored-at-start parts (each already escaped; exact names end with `$`)."""
    return "^(?:" + "|".join(parts) + ")" if parts else NOTHING


def _keys(models, kind: Kind) -> list[str]:
    return [m.routing_key for m in models if m.kind is kind]


def _exchange_name(names: Names, model_kind: Kind) -> str:
    return (names.commands() if model_kind is Kind.COMMAND else names.events()).name


def grant_for(principal: str, prefix: str = "") -> Grant:
    names = Names(prefix)
    user = names.user(principal)
    events, commands, dlx = (e.name for e in names.exchanges())
    if principal == OPERATOR:
        return Grant(
            principal,
            user,
            ("impersonator",),
            configure=NOTHING,
            write="^amq\\.default$",
            read="^" + re.escape(prefix) + ".*\\.dlq$",
            topics=tuple(TopicGrant(x, NOTHING, NOTHING) for x in (events, commands, dlx)),
        )
    if principal not in PRINCIPALS:
        raise ValueError(f"unknown principal {principal!r}")
    out: tuple[type[Message], ...] = published_by(principal)
    into: tuple[type[Message], ...] = contract_topology.SUBSCRIPTIONS.get(principal, ())
    written = sorted({_exchange_name(names, m.kind) for m in out})
    if principal in OUTSIDE_SYSTEMS:
        configure, write, read = NOTHING, _exactly(written), NOTHING
        own = NOTHING
    else:
        own = re.escape(f"{prefix}{principal}.")
        bound = sorted({_exchange_name(names, m.kind) for m in into} | {dlx})
        configure = _any_of([own])
        write = _any_of([own, *(re.escape(x) + "$" for x in sorted({*written, dlx}))])
        read = _any_of([own, *(re.escape(x) + "$" for x in bound)])
    topics = (
        TopicGrant(events, _exactly(_keys(out, Kind.EVENT)), _exactly(_keys(into, Kind.EVENT))),
        TopicGrant(commands, _exactly(_keys(out, Kind.COMMAND)), _exactly(_keys(into, Kind.COMMAND))),
        TopicGrant(dlx, NOTHING, _any_of([own]) if own else NOTHING),
    )
    return Grant(principal, user, (), configure, write, read, topics)


def all_grants(prefix: str = "") -> list[Grant]:
    return [grant_for(p, prefix) for p in (*PRINCIPALS, OPERATOR)]


def definitions(vhost: str, grants: list[Grant], password_hashes: dict[str, str] | None = None) -> dict:
    """The users, permissions and topic permissions of `grants` in RabbitMQ's definitions format.

    Without a password hash a user is created unable to log in with a password (set one with
    `osame bus provision` or `rabbitmqctl change_password`)."""
    hashes = password_hashes or {}
    return {
        "users": [
            {
                "name": g.user,
                "password_hash": hashes.get(g.principal, ""),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": ",".join(g.tags),
                "limits": {},
            }
            for g in grants
        ],
        "permissions": [
            {"user": g.user, "vhost": vhost, "configure": g.configure, "write": g.write, "read": g.read}
            for g in grants
        ],
        "topic_permissions": [
            {"user": g.user, "vhost": vhost, "exchange": t.exchange, "write": t.write, "read": t.read}
            for g in grants
            for t in g.topics
        ],
    }
