"""The one owner of ``<data>/registry.sqlite3`` (and of the user's profile file).

``_db``       the connection factory, the schema as numbered migrations, the one timeout
``registry``  installed apps (the ``apps`` table)
``grants``    which capabilities each app holds (the ``grants`` table)
``inbox``     shared items waiting for an app (the ``inbox`` table)
``profile``   the user's profile (``profile.json``, written atomically)

Callers import these modules by their own names (``from superapp.state import registry``);
the old top-level re-exports are gone (issue 13). This package imports no GUI
code and nothing from the host or the bridge (an import-linter contract holds that).
"""

from superapp.state._db import DEFAULT_LIMITS, SCHEMA_VERSION, StateLimits, connect

__all__ = ["DEFAULT_LIMITS", "SCHEMA_VERSION", "StateLimits", "connect"]
