"""``python -m receiptflow`` runs the command line."""

import sys

from receiptflow.cli.main import main

sys.exit(main())
