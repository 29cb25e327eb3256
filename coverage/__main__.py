"""``python -m coverage``: the command line (see :mod:`coverage.cli`)."""

from coverage.cli import main

raise SystemExit(main())
