"""The one door: ``window.callNative(api, params)`` and everything behind it (DESIGN §5).

::

    dispatcher.py   Dispatcher.dispatch(text) -> text: the ordered checks, one error boundary
    table.py        API_TABLE: name -> ApiSpec(capability, params model, handler, rate class)
    limits.py       BridgeLimits: every size, depth and rate limit, with defaults
    errors.py       the wire error codes and their exception classes
    context.py      CallContext: the calling app's identity and resources
    hostui.py       HostUi: the window seam (close, toast, clipboard, notify); DummyUi
    models.py       Params / Result base models (strict, no extra fields, camelCase results)
    capabilities/   one module per API family
    gen.py          python -m bridge.gen: assets/superapp.d.ts and docs/api.md from the table
    testing.py      a real dispatcher without a window, for tests
"""
