"""The `zhongshu` command: serve, ingest, simulate, publish, demo, the schema and dead-letter tools, users,
display tokens, the audit log and the leaders' briefing."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from dashboard import accounts_cli, deadletter_cli
from dashboard.settings import Settings


def _settings() -> Settings:
    return Settings()


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    from datafeeds.db import make_engine, migrate

    settings = _settings()
    migrate(make_engine(settings.db_url))
    print(f"migrated {settings.db_url}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    """Load the synthetic county's places and departments into the database."""
    from dashboard.runners import seed_county

    settings = _settings()
    county = seed_county(settings)
    print(f"loaded {county.name}: {len(county.places)} places, {len(county.departments)} departments")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web server."""
    from dashboard.runners import serve

    serve(_settings())
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Run the ingest (the one writer)."""
    from dashboard.runners import ingest

    ingest(_settings())
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Publish the synthetic county's event stream."""
    from dashboard.runners import simulate

    simulate(_settings(), seed=args.seed, cases_per_day=args.cases_per_day, speedup=args.speedup,
             rate=args.rate, backfill_days=args.backfill_days, duration=args.duration)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Validate feed messages from a file or stdin and publish them; exit 1 on the first invalid one."""
    from dashboard.publish import publish_text

    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    return publish_text(_settings(), text, out=sys.stdout, err=sys.stderr)


def cmd_schema(args: argparse.Namespace) -> int:
    """Write the feed contract's JSON Schema and its documentation into a folder."""
    from datafeeds.contractdocs import write_docs

    for path in write_docs(Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Start Redis (embedded when none is configured), the database, simulator, ingest and web."""
    from dashboard.demo import run_demo

    return run_demo(_settings())


def cmd_fill_cases(args: argparse.Namespace) -> int:
    """Fill an empty store with many synthetic cases (the desk's scale benchmark, load tests)."""
    from datetime import UTC, datetime

    from dashboard.runners import seed_county
    from datafeeds.db import make_engine
    from datafeeds.fillcases import StoreNotEmpty, fill_cases

    settings = _settings()
    county = seed_county(settings)
    engine = make_engine(settings.db_url)

    def progress(done: int) -> None:
        if done % 100_000 == 0 or done == args.count:
            print(f"{done:,} / {args.count:,}", flush=True)

    try:
        fill_cases(engine, county, args.count, now=datetime.now(UTC), seed=args.seed, days=args.days,
                   force=args.force, progress=progress)
    except StoreNotEmpty as exc:
        print(f"zhongshu fill-cases: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    """Write the leaders' briefing of a period to a PDF or HTML file (for a scheduled job); audited."""
    from dashboard.briefingdoc import write

    settings = _settings()
    period = {"period": args.period, "from": args.from_ or "", "to": args.to or ""}
    return write(settings, period, Path(args.out), args.lang or settings.lang, db_url=args.db_url)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="zhongshu", description="指挥中枢 — county command-center wall")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help=cmd_migrate.__doc__).set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help=cmd_seed.__doc__).set_defaults(func=cmd_seed)
    sub.add_parser("serve", help=cmd_serve.__doc__).set_defaults(func=cmd_serve)
    sub.add_parser("ingest", help=cmd_ingest.__doc__).set_defaults(func=cmd_ingest)
    sim = sub.add_parser("simulate", help=cmd_simulate.__doc__)
    sim.add_argument("--seed", type=int, default=None, help="seed (default ZHONGSHU_SIM_SEED)")
    sim.add_argument("--cases-per-day", type=float, default=None, help="cases registered per simulated day")
    sim.add_argument("--speedup", type=float, default=None,
                     help="simulated seconds per real second in the live phase")
    sim.add_argument("--rate", type=float, default=None,
                     help="publish exactly this many events per second (load tests), stamped now")
    sim.add_argument("--backfill-days", type=int, default=None, help="days of history to publish first")
    sim.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    sim.set_defaults(func=cmd_simulate)
    pub = sub.add_parser("publish", help=cmd_publish.__doc__)
    pub.add_argument("file", nargs="?", default="-",
                     help="JSON file: one message, an array of messages, or one message per line; - is stdin")
    pub.set_defaults(func=cmd_publish)
    sch = sub.add_parser("schema", help=cmd_schema.__doc__)
    sch.add_argument("--out", default="docs", help="folder to write into (default docs)")
    sch.set_defaults(func=cmd_schema)
    sub.add_parser("demo", help=cmd_demo.__doc__).set_defaults(func=cmd_demo)
    fill = sub.add_parser("fill-cases", help=cmd_fill_cases.__doc__)
    fill.add_argument("--count", type=int, required=True, help="how many cases to write")
    fill.add_argument("--seed", type=int, default=1, help="seed (same seed, same cases)")
    fill.add_argument("--days", type=int, default=730, help="spread their registration over this many past days")
    fill.add_argument("--force", action="store_true", help="write even into a store that holds feed cases")
    fill.set_defaults(func=cmd_fill_cases)
    brief = sub.add_parser("briefing", help=cmd_briefing.__doc__)
    brief.add_argument("--period", default="week",
                       choices=("today", "week", "month", "last-week", "last-month", "custom"),
                       help="the period (default week); custom needs --from and --to")
    brief.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="a custom period's first day")
    brief.add_argument("--to", metavar="YYYY-MM-DD", help="a custom period's last day (at most today)")
    brief.add_argument("--out", required=True, help="the file to write: .pdf (A4) or .html (self-contained)")
    brief.add_argument("--lang", choices=("zh-CN", "en"), default=None, help="language (default ZHONGSHU_LANG)")
    brief.add_argument("--db-url", default=None,
                       help="database URL (default ZHONGSHU_DATABASE_URL, else the data folder's)")
    brief.set_defaults(func=cmd_briefing)
    deadletter_cli.add_parser(sub)
    accounts_cli.add_parser(sub)
    return parser


def _configure_logging(level: int) -> None:
    """Log as text, or as JSON lines when ZHONGSHU_LOG_FORMAT (or the TOML file) says `json`."""
    from dashboard.logs import configure_logging

    try:
        fmt = _settings().log_format
    except (ValueError, OSError):  # a bad setting or TOML file: the command itself reports it
        fmt = "text"
    configure_logging(level, fmt)


def main(argv: list[str] | None = None) -> int:
    """Run the zhongshu command line."""
    args: Any = build_parser().parse_args(argv)
    _configure_logging(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from dashboard.embedded import RedisNotConfigured

        if isinstance(exc, RedisNotConfigured):
            print(f"zhongshu: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
