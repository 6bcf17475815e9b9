"""The ingest's metrics: counted in the ingest, written to Redis, served by every web process's `/metrics`.

The ingest and the web server are separate processes (and there may be several web processes), and only
the web serves HTTP. So the ingest renders its own registry in the Prometheus text format every
`ZHONGSHU_METRICS_SECONDS` into a Redis hash, `<prefix>:metrics:ingest` (fields `text`, `written_at`,
`pid`; it expires when the ingest stops writing); a web process parses that text back with
prometheus_client's parser and serves it next to its own metrics, so one scrape shows the whole house.
A writer thread of its own keeps the hash fresh even while the ingest's loop is stuck in a long batch:
that is when a growing queue depth matters most.

This module needs only prometheus_client and redis (no Flask): the ingest runs without the web app.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from datafeeds.ingest import Ingest

log = logging.getLogger(__name__)
batch_log = logging.getLogger("datafeeds.ingest")  # batches are the ingest's news: log them under its name

# Messages per batch: one at a time when quiet, up to ZHONGSHU_INGEST_BATCH_MAX (2000) under load.
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
APPLY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def metrics_key(prefix: str) -> str:
    """Return the Redis key of the hash the ingest writes its metrics into."""
    return f"{prefix}:metrics:ingest"


def metrics_ttl(every: float) -> int:
    """Return how long (seconds) the ingest's metrics outlive its last write: six writes, at least a minute."""
    return max(60, int(every * 6) + 1)


class IngestMetrics(Collector):
    """The ingest's registry: histograms it observes itself, and counters read off the ingest when collected.

    Counts of events are since this ingest process started (Prometheus treats a restart as a counter reset;
    `zhongshu_ingest_process_start_time_seconds` tells when). The store keeps the all-time totals that
    `/healthz` shows.
    """

    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest
        self.registry = CollectorRegistry(auto_describe=False)
        self.batch_size = Histogram(
            "zhongshu_ingest_batch_size", "Messages in each batch the ingest applied (feeds, replay and clock)",
            buckets=BATCH_BUCKETS, registry=self.registry)
        self.apply_seconds = Histogram(
            "zhongshu_ingest_apply_seconds", "Seconds the ingest took to apply each batch (one transaction)",
            buckets=APPLY_BUCKETS, registry=self.registry)
        self.deltas = Counter("zhongshu_deltas_emitted", "Delta batches the ingest sent to the walls",
                              registry=self.registry)
        self.emit_errors = Counter("zhongshu_delta_emit_errors", "Delta batches the ingest could not send",
                                   registry=self.registry)
        self.delta_log_errors = Counter("zhongshu_delta_log_errors",
                                        "Deltas the ingest pushed but could not keep in the walls' delta log",
                                        registry=self.registry)
        self.registry.register(self)
        ProcessCollector(namespace="zhongshu_ingest", registry=self.registry)
        applier = ingest.applier
        self._base_accepted, self._base_duplicates = applier.accepted, applier.duplicates
        self._rejections_seen: dict[str, int] = dict(applier.rejections)

    def observe_batch(self, size: int, seconds: float) -> None:
        """Record one applied batch, and log it (rejections at warning level, with their reasons)."""
        self.batch_size.observe(size)
        self.apply_seconds.observe(seconds)
        applier = self.ingest.applier
        rejections = dict(applier.rejections)
        new = {r: n - self._rejections_seen.get(r, 0) for r, n in rejections.items()
               if n != self._rejections_seen.get(r, 0)}
        self._rejections_seen = rejections
        fields = {"batch_size": size, "seq": applier.committed_seq, "apply_ms": round(seconds * 1000, 2)}
        if new:
            batch_log.warning("rejected %d of %d messages (%s)", sum(new.values()), size,
                        ", ".join(f"{r}: {n}" for r, n in sorted(new.items())), extra={**fields, "reasons": new})
        else:
            batch_log.debug("applied %d messages in %.1f ms", size, seconds * 1000, extra=fields)

    def collect(self) -> Iterable[Metric]:
        """Read the ingest's counters (called by the registry, from the writer thread)."""
        ingest, applier = self.ingest, self.ingest.applier
        yield CounterMetricFamily("zhongshu_events_accepted", "Events applied to the store since the ingest started",
                                  value=applier.accepted - self._base_accepted)
        rejected = CounterMetricFamily("zhongshu_events_rejected",
                                       "Messages dead-lettered since the ingest started, by reason", labels=["reason"])
        for reason, n in sorted(dict(applier.rejections).items()):
            rejected.add_metric([reason], n)
        yield rejected
        yield CounterMetricFamily("zhongshu_events_duplicate",
                                  "Messages ignored since the ingest started because their id was already stored",
                                  value=applier.duplicates - self._base_duplicates)
        yield GaugeMetricFamily("zhongshu_ingest_queue_depth",
                                "Messages received from pub/sub and waiting to be applied", value=ingest.queue.qsize())
        yield CounterMetricFamily("zhongshu_subscriber_reconnects",
                                  "Times the ingest lost its feed subscription and subscribed again",
                                  value=ingest.subscriber.reconnects)
        yield CounterMetricFamily("zhongshu_events_replayed",
                                  "Events applied from the feed log (Redis Stream) that pub/sub had not brought",
                                  value=ingest.replayed)
        gaps = GaugeMetricFamily("zhongshu_source_gaps", "Messages a publisher's seq says are missing (not replayed)",
                                 labels=["source"])
        seen = GaugeMetricFamily("zhongshu_source_last_seen_timestamp_seconds",
                                 "When the ingest last received a message from a publisher", labels=["source"])
        for name, st in sorted(dict(applier.sources.by_name).items()):  # a copy: the ingest thread adds sources
            gaps.add_metric([name], st.gaps)
            if st.last_seen_at is not None:
                seen.add_metric([name], st.last_seen_at.timestamp())
        yield gaps
        yield seen
        yield CounterMetricFamily("zhongshu_feed_log_trimmed",
                                  "Times the feed log was found trimmed past the ingest's position (events lost)",
                                  value=ingest.stream_trimmed)

    def text(self) -> bytes:
        """Return the registry in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsWriter(threading.Thread):
    """Write the ingest's metrics into Redis now and every `every` seconds, and once more when stopped."""

    def __init__(self, metrics: IngestMetrics, client: redis.Redis, prefix: str, every: float,
                 stop: threading.Event) -> None:
        super().__init__(name="zhongshu-metrics", daemon=True)
        self.metrics, self.client, self.stop, self.every = metrics, client, stop, every
        self.key, self.ttl = metrics_key(prefix), metrics_ttl(every)
        self._failing = False

    def run(self) -> None:
        """Write until stopped."""
        self.write()
        while not self.stop.wait(self.every):
            self.write()
        self.write()

    def write(self) -> bool:
        """Write the metrics once; return whether Redis took them (a failure is logged once per outage)."""
        try:
            text = self.metrics.text()
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(self.key, mapping={"text": text, "written_at": repr(time.time()), "pid": os.getpid()})
            pipe.expire(self.key, self.ttl)
            pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if not self._failing:
                log.warning("could not write the ingest's metrics to Redis: %s", exc)
            self._failing = True
            return False
        if self._failing:
            log.info("writing the ingest's metrics to Redis again")
        self._failing = False
        return True


@dataclass(frozen=True)
class IngestSnapshot:
    """The ingest's metrics as last written to Redis."""

    families: list[Metric]
    written_at: float
    pid: int | None


def read_ingest_metrics(client: redis.Redis, prefix: str) -> IngestSnapshot | None:
    """Return the ingest's metrics from Redis, or None when no ingest wrote them lately.

    Raises redis' errors when Redis does not answer.
    """
    fields: dict[bytes, bytes] = client.hgetall(metrics_key(prefix))  # type: ignore[assignment]
    text, written = fields.get(b"text"), fields.get(b"written_at")
    if text is None or written is None:
        return None
    pid = fields.get(b"pid")
    return IngestSnapshot(families=list(text_string_to_metric_families(text.decode())), written_at=float(written),
                          pid=int(pid) if pid else None)
