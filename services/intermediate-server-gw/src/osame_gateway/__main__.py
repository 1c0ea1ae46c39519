"""`osame-gateway` runs the service; `osame-gateway migrate` only migrates its database."""

from osame_chassis.cli import service_main

from osame_gateway.bootstrap import build_spec


def main() -> None:
    service_main(build_spec)


if __name__ == "__main__":
    main()
