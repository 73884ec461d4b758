"""`python -m jobs.motoserve -H HOST -p PORT`: the moto server, with S3 keys that contain newlines.

S3 keys may hold any UTF-8 character, newlines included. moto's URL rules are regexes such as
`(?P<key_name>.+)`, and `.` stops at a newline, so the stock server answers 404 to every request for
such a key. This entry point makes moto's regex converter match across newlines (`(?s:...)`) and
then runs moto's own server `main`; nothing else changes. `jobs.s3.MotoServer` starts this.
"""
from __future__ import annotations

import sys


def patch_routes() -> None:
    from moto.moto_server import utilities

    if getattr(utilities.RegexConverter, "_lakescan_dotall", False):
        return
    init = utilities.RegexConverter.__init__

    def dotall_init(self, url_map, *items):
        init(self, url_map, *items)
        self.regex = f"(?s:{self.regex})"

    utilities.RegexConverter.__init__ = dotall_init
    utilities.RegexConverter._lakescan_dotall = True


def main(argv: list[str] | None = None) -> None:
    patch_routes()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
