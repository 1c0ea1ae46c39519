"""Error classes that decide what happens to a message.

`PermanentError`: the message can never succeed (bad data, business rejection):
it is rejected to the dead-letter queue at once. Any other exception is transient:
retried inside the handler, then returned to the queue, where the quorum queue's
delivery limit eventually dead-letters it. Messages must not contain personal data.
"""


class PermanentError(Exception):
    """The message is invalid or refused for good; dead-letter it with this (PII-free) reason."""
