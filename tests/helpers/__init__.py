"""Helpers shared by tests: the recording server (``recorder``) and throwaway TLS (``tls``)."""
