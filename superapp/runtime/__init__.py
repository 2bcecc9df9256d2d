"""Code that runs inside a mini-app's own process: one window, one app, one door.

Engine-specific code (Qt objects, pywebview internals) lives in the ``engine`` sub-package,
the only one that imports them; the modules here are Qt-free and talk to it through small
typed seams (``AppSource``, the dispatcher callable, ``HostUi``).
Started only by the supervisor: ``python -m superapp.runtime --control-fd N --slot-dir DIR``
(generic; the app arrives in ``bind``).
"""
