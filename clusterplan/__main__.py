"""``python -m clusterplan``: the command line (:mod:`clusterplan.cli`)."""

import sys

from .cli import main

sys.exit(main())
