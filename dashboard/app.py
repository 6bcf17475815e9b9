"""Build the web app: Flask + Dash + Flask-SocketIO, wired in one factory."""

from __future__ import annotations

import secrets
from pathlib import Path

from dash import Dash
from flask import Flask
from flask_socketio import SocketIO

from callbacks import router
from dashboard import api, auth, briefingdoc, exports, metrics, realtime, websessions
from dashboard.embedded import resolve_redis_url
from dashboard.settings import Settings
from dashboard.state import AppState
from datafeeds.db import make_engine
from layouts import shell


def assets_folder() -> str:
    """Return the folder of CSS and JS: inside the package when installed, else the checkout's."""
    here = Path(__file__).resolve().parent
    packaged = here / "_assets"
    return str(packaged if packaged.is_dir() else here.parent / "assets")


def create_app(settings: Settings | None = None) -> Flask:
    """Return the Flask server with the Dash app, the JSON API and Socket.IO attached."""
    settings = settings or Settings()
    server = Flask(__name__, static_folder=None)  # Dash serves /assets; no other static folder
    server.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    redis_url = resolve_redis_url(settings)
    state = AppState(settings=settings, engine=make_engine(settings.db_url), redis_url=redis_url)
    server.extensions["zhongshu"] = state

    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash's stubs omit Flask; it takes one
        url_base_pathname="/",
        assets_folder=assets_folder(),
        serve_locally=True,
        title=settings.title,
        update_title=None,  # type: ignore[arg-type]  # None turns the "Updating..." title off
        suppress_callback_exceptions=True,
        compress=False,
    )
    app.layout = shell.layout
    router.register(app, state)
    server.register_blueprint(api.blueprint)
    server.register_blueprint(exports.blueprint)
    server.register_blueprint(briefingdoc.blueprint)
    web_metrics = metrics.install(server, state)
    auth.install(server, state, app)

    manager = realtime.PromptRedisManager(redis_url, channel=settings.socketio_channel)
    socketio = SocketIO(
        server,
        client_manager=manager,
        async_mode="threading",
        # A ping every 10 s, 10 s to answer: a wall behind a cut network knows it within 20 s (Engine.IO's
        # 25 + 20 s left it believing for 45 s) and shows 连接中断; the cost is one tiny frame per wall per 10 s.
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
    )
    doorbell = realtime.register(socketio, state, web_metrics)
    manager.notice = (websessions.notice_channel(settings.feed_prefix), doorbell)
    server.extensions["dash"] = app
    return server
