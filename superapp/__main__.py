"""``python -m superapp`` is the same as the ``superapp`` command."""

from superapp.cli import main

raise SystemExit(main())
