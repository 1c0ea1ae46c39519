"""`osame-address-sync` runs the service; `migrate` only migrates its database.

Key maintenance: `osame-address-sync key-usage` (sealed 個人番号 per key id) and
`osame-address-sync rotate-key` (re-encrypt everything under OSAME_MYNUMBER_KEY_ID, with progress);
both run as the operator of a verified staff token (`--token` or OSAME_OPERATOR_TOKEN) and are audited.
"""

import sys

from osame_chassis.cli import service_main

from osame_address_sync.bootstrap import build_spec

KEY_COMMANDS = ("rotate-key", "key-usage")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in KEY_COMMANDS:
        from osame_address_sync.entrypoints.keys import main as keys_main

        keys_main(sys.argv[1:], build_spec().settings)
        return
    service_main(build_spec)


if __name__ == "__main__":
    main()
