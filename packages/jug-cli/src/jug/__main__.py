"""``python -m jug``: the same program as the ``jug`` command."""

import sys

from jug.jug import main

if __name__ == "__main__":
    sys.exit(main())
