"""The desktop package's one executable: the ``superapp`` command, or a runtime when marked.

PyInstaller freezes this script (``packaging/superapp.spec``); see ``superapp/_spawn.py``.
"""

from superapp._spawn import frozen_main

raise SystemExit(frozen_main())
