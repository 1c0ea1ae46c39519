"""Messaging plumbing: topology, the one publish helper, outbox relay, inbox, consumers."""
