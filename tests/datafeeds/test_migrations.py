"""The migrations build exactly the schema the models describe (on SQLite, and PostgreSQL when given)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from datafeeds.models import Base

# What the models cannot say: the text search's index (migration 0010), an FTS5 table and its shadow tables on
# SQLite, trigram GIN indexes on PostgreSQL.
TEXT_INDEX = ("cases_text", "ix_cases_case_no_trgm", "ix_cases_title_trgm", "ix_cases_address_trgm")


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name or "").startswith(TEXT_INDEX)


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_name": _modelled})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "write a migration for these model changes"


def test_the_text_index_follows_the_cases(engine: Engine) -> None:
    """New cases are found by the index; a changed title is found by its new words only."""
    from datetime import UTC, datetime

    from datafeeds.deskqueries import CaseFilter, search
    from datafeeds.models import Case

    now = datetime(2026, 12, 1, tzinfo=UTC)
    row = {"title": "东湖花园物业纠纷", "category": "0402", "scale": "01", "grade": "04", "urgent": False,
           "is_group": False, "long_standing": False, "people_involved": 2, "source_channel": "walk_in",
           "address": "城关镇东湖路12号", "lat": 27.8, "lon": 113.1, "state": "registered", "is_open": True,
           "registered_at": now, "last_seq": 0, "updated_at": now}
    with engine.begin() as conn:
        township = conn.execute(text("SELECT code FROM places WHERE tier = '05' ORDER BY code")).scalar()
        conn.execute(Case.__table__.insert(), [{**row, "case_no": "TXT-1", "township_code": township},
                                               {**row, "case_no": "TXT-2", "title": "土地纠纷",
                                                "address": "西山村", "township_code": township}])

    def found(needle: str) -> list[str]:
        return sorted(r["case_no"] for r in search(engine, CaseFilter(text=needle), now=now))

    assert found("花园物业") == ["TXT-1"] and found("东湖路") == ["TXT-1"] and found("TXT") == ["TXT-1", "TXT-2"]
    assert found("纠纷") == ["TXT-1", "TXT-2"]  # two characters: scanned, not indexed, found all the same
    with engine.begin() as conn:
        conn.execute(Case.__table__.update().where(Case.case_no == "TXT-1").values(title="噪音扰民"))
    assert found("花园物业") == [] and found("噪音扰民") == ["TXT-1"]
    with engine.begin() as conn:
        conn.execute(Case.__table__.delete().where(Case.case_no == "TXT-2"))
    assert found("西山村") == []
