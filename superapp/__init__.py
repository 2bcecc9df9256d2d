"""superapp: a desktop super-app host for signed, sandboxed HTML/JS mini-apps.

The public surface is the ``superapp`` command (see ``superapp --help``) and the
JavaScript ``callNative`` door documented in ``docs/api.md``. Python modules are
internal unless listed in a package's ``__all__``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
