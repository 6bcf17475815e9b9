"""The web server: an answer is closed even when its sending stops early (the browser went away)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

from dashboard.server import closing


class Answer:
    """A WSGI answer that records whether the server closed it (as a static file's must be)."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from (b"x" * 1024 for _ in range(100))

    def close(self) -> None:
        self.closed = True


def test_an_answer_is_closed_when_sending_stops_early() -> None:
    answers: list[Answer] = []

    def app(environ: Any, start_response: Any) -> Answer:
        start_response("200 OK", [])
        answers.append(Answer())
        return answers[-1]

    sending = iter(closing(app)({}, lambda status, headers: None))
    next(sending)  # one chunk went out, then the connection dropped: the server stops iterating
    del sending
    gc.collect()
    assert answers[0].closed

    finished = closing(app)({}, lambda status, headers: None)
    assert sum(len(chunk) for chunk in finished) == 102_400 and answers[1].closed
