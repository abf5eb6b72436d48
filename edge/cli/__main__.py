"""`python -m edge.cli` runs `honk-edge` (how the demo starts its node processes)."""

import sys

from edge.cli import main

sys.exit(main())
