"""``python -m graph`` runs the ``kg`` command line."""

import sys

from graph.cli import main

if __name__ == "__main__":  # not when a worker process imports this module as its parent's main
    sys.exit(main())
