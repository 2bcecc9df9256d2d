"""Installed apps: a re-export of ``superapp.state.registry`` (the one owner of the file)."""

from __future__ import annotations

from superapp.state.registry import InstalledApp, delete_app, get_app, list_apps, put_app

__all__ = ["InstalledApp", "delete_app", "get_app", "list_apps", "put_app"]
