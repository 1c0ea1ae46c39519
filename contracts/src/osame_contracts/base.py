"""Base classes shared by every message in the Osame bus.

Every message body is a versioned pydantic model. The routing key is
`<service>.<entity>.<verb>.v<N>`; events go to `osame.events`, commands to `osame.commands`
(both topic exchanges, so topic permissions apply), addressed to their one owner. The routing
key doubles as the AMQP `message_type`. `osame_contracts.publishers` declares who may publish
each key. No personal data may appear in routing keys, ids or headers.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

ROUTING_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$")

Yen = Annotated[int, Field(ge=0, le=10**13, description="Integer yen (円); never a float")]
SignedYen = Annotated[int, Field(ge=-(10**13), le=10**13, description="Integer yen, may be negative")]
AddresseeId = Annotated[
    str, Field(pattern=r"^[0-9]{1,15}$", description="宛名番号: the city's addressee number (not 個人番号)")
]
NoticeNumber = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,20}$", description="通知書番号")]
StaffProof = Annotated[
    str | None,
    Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        max_length=2048,
        description=(
            "Proof of the staff identity: a JWS (ES256) the publishing principal signs over this message "
            "(osame_chassis.messaging.staff_proof). Filled by the publisher's outbox; consumers refuse a "
            "message whose proof is missing or does not verify."
        ),
    ),
]


class Kind(StrEnum):
    EVENT = "event"
    COMMAND = "command"


class Part(BaseModel):
    """A nested value inside a message (not routable on its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Message(BaseModel):
    """A message body. Subclasses set `routing_key` and `kind`.

    `hide_input_in_errors` keeps raw field values (which may be personal data)
    out of validation error messages, and so out of logs and spans.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    routing_key: ClassVar[str]
    kind: ClassVar[Kind]
    # A staff action names the field holding the staff id; the message then carries `staff_proof`.
    staff_field: ClassVar[str | None] = None

    @classmethod
    def message_type(cls) -> str:
        return cls.routing_key


class Event(Message):
    """Something that happened; published on the topic exchange `osame.events`."""

    kind: ClassVar[Kind] = Kind.EVENT


class Command(Message):
    """A request to the one service that owns the entity; sent on `osame.commands`."""

    kind: ClassVar[Kind] = Kind.COMMAND
