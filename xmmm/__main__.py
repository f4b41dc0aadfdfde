"""``python -m xmmm``: the ``xmmm`` command (see :mod:`xmmm.cli`)."""

import sys

from xmmm.cli import main

if __name__ == "__main__":
    sys.exit(main())
