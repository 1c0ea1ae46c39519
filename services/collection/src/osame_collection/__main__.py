"""`osame-collection` runs the service; `migrate` only migrates its database; `nightly` runs the
nightly batch; `benchmark` times it; `rates` and `law` load rate rows (see ``entrypoints.cli``;
they are `ServiceSpec.commands`, dispatched by the chassis)."""

from osame_chassis.cli import service_main

from osame_collection.bootstrap import build_spec


def main() -> None:
    service_main(build_spec)


if __name__ == "__main__":
    main()
