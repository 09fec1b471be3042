"""The owner pages' gettext catalogues (src/linkplus/web/locale/<language>/LC_MESSAGES/messages.po).

    python tools/i18n.py update          # extract the pages' strings (babel.cfg), merge them
                                         # into every catalogue; then translate the new ones
    python tools/i18n.py update --add sv # start a catalogue for a new language
    python tools/i18n.py check           # list what is missing or stale; exit 1 if anything

The catalogues are compiled in memory when the platform starts (linkplus.web.i18n), so nothing
generated is committed. tests/web/test_i18n.py runs the same check.
"""

from __future__ import annotations

import argparse
import sys

from linkplus.web import catalogues
from linkplus.web.i18n import LANGUAGES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    update = commands.add_parser("update", help="merge the pages' strings into the catalogues")
    update.add_argument("--add", metavar="LANGUAGE", action="append", default=[])
    commands.add_parser("check", help="list missing, stale and untranslated strings")
    args = parser.parse_args(argv)
    if args.command == "update":
        languages = sorted({*LANGUAGES, *args.add})
        catalogues.update(languages)
        print(f"updated {', '.join(languages)}")
        for line in catalogues.problems(languages):
            print(line)
        return 0
    found = catalogues.problems()
    for line in found:
        print(line)
    print(f"{len(found)} problem(s) in {', '.join(LANGUAGES)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
