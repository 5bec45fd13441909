"""``python -m jug``: the same program as the ``jug`` command."""

import sys

from jug.jug import console_main

if __name__ == "__main__":
    sys.exit(console_main())
