"""Gather what the wall's layout needs; live data reaches the wall by push, not by callbacks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from dashboard import access
from dashboard.websessions import Principal
from datafeeds import queries
from layouts import wall
from layouts.i18n import t


def desk_copy(query: Mapping[str, Sequence[str]], principal: Principal | None) -> bool:
    """Say whether to draw the desk's copy of the wall (figures and pins as links into the desk).

    Only when the URL asks for it (?desk=1) and the viewer may open the desk: a kiosk's display session, or
    anyone who added ?desk=1 by hand without the right, keeps the hands-off wall.
    """
    asked = (query.get("desk") or [""])[0] == "1"
    return asked and principal is not None and principal.may(access.page_level("/desk"))


def page(state: Any, lang: str, query: Mapping[str, Sequence[str]] | None = None,
         principal: Principal | None = None) -> html.Div:
    """Return the wall for a language, with the county's boundaries from the store."""
    settings = state.settings
    title = settings.title if lang == "zh-CN" or settings.wall_title else (
        f"{settings.county_name} · {t('wall.title_suffix', lang)}")
    return wall.layout(wall.WallContext(
        title=title,
        lang=lang,
        stale_seconds=settings.feed_stale_seconds,
        overlay_seconds=settings.alert_overlay_seconds,
        tiles=({"url": settings.tile_url, "subdomains": settings.tile_subdomains,
                "attribution": settings.tile_attribution} if settings.tile_url else None),
        crs=settings.tile_crs,
        boundaries=state.boundaries(gcj02=settings.tile_crs == "gcj02"),
        timezone=settings.timezone,
        heat=settings.wall_heat,
        rotation=tuple(settings.rotation),
        rotation_seconds=settings.wall_rotation_seconds,
        desk=desk_copy(query or {}, principal),
    ))


def boundaries(state: Any) -> dict[str, Any]:
    """Return the county's boundaries (read once per process; places change by migration only)."""
    return queries.boundaries(state.engine)
