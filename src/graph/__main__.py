"""``python -m graph`` runs the ``kg`` command line."""

import sys

from graph.cli import main

sys.exit(main())
