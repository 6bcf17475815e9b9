"""Configure logging: human text by default, one JSON object per line with `ZHONGSHU_LOG_FORMAT=json`.

The JSON lines carry `time` (UTC, ISO-8601 with milliseconds), `level`, `logger`, `message`, `process`,
`thread`, every field a call passed with `extra=` (the ingest passes `batch_size`, `seq`, `apply_ms` and
`reasons`, for instance) and `exc` with the traceback when there is one. A small stdlib formatter does it:
a package (python-json-logger, structlog) would add a dependency for twenty lines, and structlog would
ask every module to log through its own API.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Terminal colours (Werkzeug paints its request lines): no use in a log collector.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Attributes every LogRecord has; whatever else a record carries came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON (non-ASCII text kept as is, anything unknown as its str())."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON object on one line."""
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": _ANSI.sub("", record.getMessage()),
            "process": record.process,
            "thread": record.threadName,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out.setdefault(key, value)  # an extra never hides one of the fields above
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return json.dumps(out, ensure_ascii=False, default=str, allow_nan=False)
        except ValueError:  # NaN or infinity in an extra: JSON has no such numbers
            return json.dumps({k: v if isinstance(v, str) else repr(v) for k, v in out.items()}, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, fmt: Literal["text", "json"] = "text") -> None:
    """Send every log record to stderr in the chosen format (replacing handlers set before)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)  # Python's warnings become log records too: every line stays JSON
