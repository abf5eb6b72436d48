"""`python -m server.cli` runs `honk-server` (handy where the console script is not installed)."""

import sys

from server.cli import main

sys.exit(main())
