"""`python -m supportdesk` runs the same entry point as the console script."""

import sys

from supportdesk.cli import main

sys.exit(main())
