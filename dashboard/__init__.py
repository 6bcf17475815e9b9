"""The web side of zhongshu: app factory, settings, Socket.IO wiring, CLI."""

from dashboard.app import create_app

__all__ = ["create_app"]
