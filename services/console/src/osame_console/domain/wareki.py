"""和暦 for the screens: the one home of the rule is ``osame_law.wareki`` (collection's letters use
it too); re-exported here for the console's templates and tests."""

from osame_law.wareki import ERAS, GREGORIAN_FROM, Era, WarekiError, era_of, wareki, wareki_or_western

__all__ = ["ERAS", "GREGORIAN_FROM", "Era", "WarekiError", "era_of", "wareki", "wareki_or_western"]
