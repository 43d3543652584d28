"""`python -m benchmarks`: see `benchmarks._runner.main` and BENCHMARKS.md."""

import sys

from ._runner import main

sys.exit(main())
