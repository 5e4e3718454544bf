"""``python -m sklearn_ser``: the ``sklearn-ser`` command line (see :mod:`sklearn_ser.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
