"""Serve `/metrics` in the Prometheus format: this web process's own, the store's and the ingest's metrics.

Three kinds of metrics meet here (the README's table lists every name):
- this process's: Socket.IO clients by view, snapshot requests by why (the wall says why it resyncs),
  and its process figures (`zhongshu_web_process_*`);
- the store's, read at each scrape: whether the ingest is alive, its global seq, the ingest lag (now minus
  the newest applied event's time) and the dead letters held by reason;
- the ingest's, which it writes into Redis (`datafeeds/metrics.py`) and which are parsed and served as they
  are, with `zhongshu_ingest_metrics_age_seconds` saying how old they are.
So one scrape of a web process shows the whole house. With several web processes, scrape each one (not
through the load balancer): the store's and the ingest's series repeat in each (take `max` of those).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import redis
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from dashboard.realtime import VIEWS
from dashboard.state import AppState
from datafeeds import queries
from datafeeds.clock import utcnow
from datafeeds.metrics import read_ingest_metrics

log = logging.getLogger(__name__)

blueprint = Blueprint("metrics", __name__)

# Why a wall asked for a snapshot (assets/zhongshu-live.js's resync(why)); anything else counts as `other`,
# so a caller cannot grow the number of series. `catchup`: the delta log could not bring it up to date.
SNAPSHOT_WHYS = ("connect", "gap", "status", "catchup")
# How a wall's request for the deltas it missed ended (`/api/deltas`): `served`, or why it must take a snapshot.
CATCHUP_OUTCOMES = ("served", "gap", "behind", "too_big", "ahead", "redis_down")


class WebMetrics:
    """The metrics of one web app (its own registry: tests build several apps in one process)."""

    def __init__(self, state: AppState) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.clients = Gauge("zhongshu_socketio_clients", "Socket.IO clients connected to this web process, by view",
                             ["view"], registry=self.registry)
        self.connects = Counter("zhongshu_socketio_connects", "Socket.IO connections this web process accepted",
                                ["view"], registry=self.registry)
        self.snapshots = Counter("zhongshu_snapshot_requests",
                                 "Snapshots served (a wall's start or resync), by why the wall asked",
                                 ["why"], registry=self.registry)
        self.catchups = Counter("zhongshu_catchup_requests",
                                "Walls' requests for the deltas they missed, by outcome (all but `served` "
                                "send the wall to a snapshot)", ["outcome"], registry=self.registry)
        self.catchup_deltas = Counter("zhongshu_catchup_deltas", "Deltas served to walls catching up",
                                      registry=self.registry)
        for outcome in CATCHUP_OUTCOMES:
            self.catchups.labels(outcome)
        for view in VIEWS:
            self.clients.labels(view)
            self.connects.labels(view)
        for why in (*SNAPSHOT_WHYS, "other", "none"):
            self.snapshots.labels(why)
        ProcessCollector(namespace="zhongshu_web", registry=self.registry)
        self.registry.register(StoreCollector(state))
        self.registry.register(IngestCollector(state))
        self._views: dict[str, str] = {}
        self._lock = threading.Lock()

    def connected(self, sid: str, view: str) -> None:
        """Count a Socket.IO client that joined a view."""
        with self._lock:
            if sid in self._views:
                return
            self._views[sid] = view
        self.clients.labels(view).inc()
        self.connects.labels(view).inc()

    def disconnected(self, sid: str) -> None:
        """Forget a Socket.IO client that left."""
        with self._lock:
            view = self._views.pop(sid, None)
        if view is not None:
            self.clients.labels(view).dec()

    def catchup(self, outcome: str, deltas: int = 0) -> None:
        """Count a request for missed deltas by how it ended, and the deltas it served."""
        self.catchups.labels(outcome if outcome in CATCHUP_OUTCOMES else "gap").inc()
        self.catchup_deltas.inc(deltas)

    def snapshot_requested(self, why: str | None) -> None:
        """Count a snapshot request by the reason the wall gave (`none` when it gave none)."""
        self.snapshots.labels(why if why in SNAPSHOT_WHYS else "other" if why else "none").inc()


class StoreCollector(Collector):
    """Read the ingest's freshness and the dead letters from the store at each scrape."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        """Yield the store's metrics (`zhongshu_store_up` 0 and nothing else when the store does not answer)."""
        from dashboard.api import ingest_alive

        try:
            h = queries.health(self.state.engine)
            dead = queries.dead_letter_counts(self.state.engine)
        except SQLAlchemyError as exc:
            log.warning("metrics: the store did not answer: %s", exc)
            yield GaugeMetricFamily("zhongshu_store_up", "Whether this web process can read the store", value=0)
            return
        now = utcnow()
        yield GaugeMetricFamily("zhongshu_store_up", "Whether this web process can read the store", value=1)
        yield GaugeMetricFamily("zhongshu_ingest_up", "Whether the ingest wrote its alive mark lately (as /healthz)",
                                value=int(ingest_alive(h["alive_at"], now)))
        yield GaugeMetricFamily("zhongshu_ingest_seq", "Global seq of the last batch the ingest committed",
                                value=h["seq"])
        last_event, last_beat = h["last_event_at"], h["last_heartbeat_at"]
        if last_event is not None:
            yield GaugeMetricFamily("zhongshu_ingest_lag_seconds",
                                    "Now minus the time of the newest event applied (grows when the feeds are quiet)",
                                    value=(now - last_event).total_seconds())
            yield GaugeMetricFamily("zhongshu_ingest_last_event_timestamp_seconds",
                                    "Time of the newest event applied (Unix seconds)", value=last_event.timestamp())
        if last_beat is not None:
            yield GaugeMetricFamily("zhongshu_ingest_last_heartbeat_timestamp_seconds",
                                    "Time of the newest heartbeat applied (Unix seconds)", value=last_beat.timestamp())
        letters = GaugeMetricFamily("zhongshu_dead_letters", "Dead letters the store holds now, by reason",
                                    labels=["reason"])
        for reason, n in sorted(dead.items()):
            letters.add_metric([reason], n)
        yield letters


class IngestCollector(Collector):
    """Serve the metrics the ingest wrote into Redis, as they are."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        """Yield the ingest's metrics, `zhongshu_ingest_metrics_age_seconds` and `zhongshu_redis_up`."""
        try:
            snap = read_ingest_metrics(self.state.redis(), self.state.settings.feed_prefix)
        except (redis.RedisError, OSError) as exc:
            log.warning("metrics: Redis did not answer: %s", exc)
            yield GaugeMetricFamily("zhongshu_redis_up", "Whether this web process can reach Redis", value=0)
            return
        yield GaugeMetricFamily("zhongshu_redis_up", "Whether this web process can reach Redis", value=1)
        if snap is None:
            return
        yield GaugeMetricFamily("zhongshu_ingest_metrics_age_seconds",
                                "Seconds since the ingest last wrote its metrics to Redis",
                                value=max(0.0, time.time() - snap.written_at))
        yield from snap.families


def install(server: Flask, state: AppState) -> WebMetrics:
    """Give an app its metrics and the `/metrics` endpoint."""
    metrics = WebMetrics(state)
    server.extensions["zhongshu_metrics"] = metrics
    server.register_blueprint(blueprint)
    return metrics


def get_metrics(app: Flask | None = None) -> WebMetrics:
    """Return the metrics of the current (or given) app."""
    metrics: WebMetrics = (app or current_app).extensions["zhongshu_metrics"]
    return metrics


@blueprint.get("/metrics")
def metrics_endpoint() -> Response:
    """Return every metric in the Prometheus text format (OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encoder(get_metrics().registry), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
