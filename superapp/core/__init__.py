"""The bottom layer: what every other part of the host and the bridge may import.

``errors``  the whole exception tree and the one table from error to bridge wire code
``files``   the one atomic-write helper
``canon``   canonical JSON (RFC 8785) and the legacy forms already-signed data uses

Nothing here imports another ``superapp`` or ``bridge`` module (an import-linter contract
holds that), so any layer can depend on it.
"""
