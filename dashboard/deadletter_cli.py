"""`zhongshu deadletter list|show|replay`: inspect rejected feed messages and publish them again after a fix.

What is printed of a message is made safe for a terminal: control characters (an ANSI escape a hostile
publisher put in a title, say) are shown escaped, never sent to the terminal; `show --raw` is the one way
to get the bytes unchanged, for a file or a pipe.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any, TextIO

from sqlalchemy import Engine

from dashboard.settings import Settings

PREVIEW = 70


def safe_text(value: str) -> str:
    """Return text with every control character (C0, DEL, C1; not newline or tab) shown as an escape."""
    return "".join(c if c in "\n\t" or not (ord(c) < 32 or 127 <= ord(c) < 160) else f"\\x{ord(c):02x}"
                   for c in value)


def _one_line(value: str, width: int) -> str:
    text = safe_text(value).replace("\n", " ").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _engine(settings: Settings) -> Engine:
    from datafeeds.db import make_engine, migrate

    logging.getLogger("alembic").setLevel(logging.WARNING)  # an inspection tool: no migration chatter
    engine = make_engine(settings.db_url)
    migrate(engine)  # the same schema the ingest would bring it to; nothing happens when it is current
    return engine


def cmd_list(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Print the newest dead letters, optionally of one reason."""
    from datafeeds.deadletters import list_letters

    letters = list_letters(_engine(settings), reason=args.reason, limit=args.limit)
    if args.json:
        for letter in letters:
            print(json.dumps(letter.as_dict(), ensure_ascii=False), file=out)
        return 0
    if not letters:
        print("no dead letters" + (f" with reason {args.reason}" if args.reason else ""), file=out)
        return 0
    print(f"{'id':>7}  {'last seen (UTC)':19}  {'reason':18} {'tries':>5} {'bytes':>8}  channel / event id / detail",
          file=out)
    for x in letters:
        seen = (x.last_seen_at or x.received_at).strftime("%Y-%m-%d %H:%M:%S")
        size = f"{x.raw_size}" + ("+" if x.truncated else "")
        where = " ".join(p for p in (x.channel, x.event_id or "-") if p)
        print(f"{x.id:>7}  {seen:19}  {x.reason:18} {x.attempts:>5} {size:>8}  "
              f"{_one_line(where, 60)}  {_one_line(x.detail, PREVIEW)}", file=out)
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Print one dead letter whole (or, with --raw, write its stored bytes unchanged)."""
    from datafeeds.deadletters import get_letters

    letter = get_letters(_engine(settings), [args.id]).get(args.id)
    if letter is None:
        print(f"zhongshu deadletter: no dead letter {args.id}", file=sys.stderr)
        return 1
    if args.raw:
        out.flush()
        sys.stdout.buffer.write(letter.raw)
        sys.stdout.buffer.flush()
        return 0
    info: dict[str, Any] = letter.as_dict(with_raw=True)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2), file=out)
        return 0
    raw = info.pop("raw", None)
    raw_hex = info.pop("raw_hex", None)
    for key, value in info.items():
        print(f"{key:>12}: {safe_text(str(value)) if value is not None else '-'}", file=out)
    if letter.truncated:
        print(f"{'':>12}  (only the first {len(letter.raw)} of {letter.raw_size} bytes were kept)", file=out)
    print(f"{'raw':>12}:", file=out)
    print(safe_text(raw) if raw is not None else f"(not UTF-8; hex) {raw_hex}", file=out)
    return 0


def cmd_replay(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Publish dead letters again on their channels; report and return 0 only when every one landed."""
    import redis

    from dashboard.embedded import resolve_redis_url
    from datafeeds.deadletters import get_letters, letters_of_reason, replay

    if bool(args.ids) == (args.reason is not None):
        print("zhongshu deadletter replay: give letter ids or --reason R (one of the two)", file=sys.stderr)
        return 2
    engine = _engine(settings)
    if args.reason is not None:
        letters = letters_of_reason(engine, args.reason)
    else:
        found = get_letters(engine, args.ids)
        missing = [i for i in args.ids if i not in found]
        for letter_id in missing:
            print(f"zhongshu deadletter: no dead letter {letter_id}", file=sys.stderr)
        letters = [found[i] for i in dict.fromkeys(args.ids) if i in found]
    if not letters:
        print("nothing to replay", file=out)
        return 1 if args.ids else 0
    client = redis.Redis.from_url(resolve_redis_url(settings))
    try:
        outcomes = replay(engine, client, letters, wait=args.wait)
    finally:
        client.close()
    for o in outcomes:
        print(f"{o.id:>7}  {o.status:16} {_one_line(o.detail, 100)}", file=out)
    landed = sum(o.resolved for o in outcomes)
    print(f"replayed {len(outcomes)}: {landed} landed (removed from the table), {len(outcomes) - landed} kept",
          file=out)
    return 0 if landed == len(outcomes) else 1


def add_parser(sub: Any) -> None:
    """Add `deadletter` and its subcommands to the top-level subparsers."""
    dl = sub.add_parser("deadletter", help="inspect rejected feed messages and replay them after a fix")
    dsub = dl.add_subparsers(dest="deadletter_command", required=True)
    ls = dsub.add_parser("list", help=cmd_list.__doc__)
    ls.add_argument("--reason", default=None, help="only letters with this reason code")
    ls.add_argument("--limit", type=int, default=50, help="how many (newest first; default 50)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=lambda a: cmd_list(a, Settings()))
    show = dsub.add_parser("show", help=cmd_show.__doc__)
    show.add_argument("id", type=int)
    show.add_argument("--raw", action="store_true", help="write the stored bytes unchanged to stdout")
    show.add_argument("--json", action="store_true", help="as one JSON object")
    show.set_defaults(func=lambda a: cmd_show(a, Settings()))
    rp = dsub.add_parser("replay", help=cmd_replay.__doc__)
    rp.add_argument("ids", type=int, nargs="*", default=[], help="letter ids, replayed in this order")
    rp.add_argument("--reason", default=None, help="every letter with this reason, oldest first (instead of ids)")
    rp.add_argument("--wait", type=float, default=10.0, help="seconds to wait for the ingest's answers")
    rp.set_defaults(func=lambda a: cmd_replay(a, Settings()))
