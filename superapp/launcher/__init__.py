"""The launcher: trusted host UI listing installed mini-apps (issue 2, item 5).

Its page runs in the *host* process with pywebview's ``js_api`` bridge (``LauncherApi``). That
bridge exists only here: mini-app processes never create one, so nothing a mini-app runs can
reach these methods.
"""

from superapp.launcher._window import run_launcher

__all__ = ["run_launcher"]
