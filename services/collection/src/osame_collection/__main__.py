"""`osame-collection` runs the service; `migrate` only migrates its database; `nightly` runs the
nightly batch; `benchmark` times it (see ``entrypoints.cli``)."""

import sys

from osame_chassis.cli import service_main

from osame_collection.bootstrap import build_spec
from osame_collection.entrypoints import cli


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in cli.COMMANDS:
        cli.main(build_spec, sys.argv[1:])
    else:
        service_main(build_spec)


if __name__ == "__main__":
    main()
