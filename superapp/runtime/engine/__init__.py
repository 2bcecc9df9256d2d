"""The runtime's engine code: everything that touches Qt (PySide6) or pywebview.

The only place in the project (with the launcher's documented exceptions) allowed to import
them: the import-linter contract ``engine-only-in-runtime`` in pyproject.toml holds it, and
tests/test_layers.py proves the contract breaks on a Qt import anywhere else. The Qt-free
rest of the runtime (``_app``, ``_wiring``, ``_guard``, ...) imports this package lazily,
inside the function that opens the window, so loading an app and talking to the host never
load the engine.
"""
