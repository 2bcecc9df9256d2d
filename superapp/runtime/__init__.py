"""Code that runs inside a mini-app's own process: one window, one app, one door.

Engine-specific code (Qt objects, pywebview internals) stays in this package; everything
above it talks to small typed seams (``AppSource``, the dispatcher callable, ``HostUi``).
Started only by the supervisor: ``python -m superapp.runtime --app-id ID --control-fd N``.
"""
