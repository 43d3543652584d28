"""`python -m amigochat_sdk`: the `amigochat` command."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
