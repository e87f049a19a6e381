"""`python -m metacompress`: the `metacompress` command."""

import sys

from metacompress.cli import main

sys.exit(main())
