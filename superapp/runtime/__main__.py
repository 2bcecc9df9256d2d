"""``python -m superapp.runtime``: one mini-app's process. Started only by the supervisor."""

from superapp.runtime._main import main

raise SystemExit(main())
