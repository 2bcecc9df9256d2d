"""The one door: ``window.callNative(api, params)`` and everything behind it (DESIGN §5)."""
