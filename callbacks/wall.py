"""Gather what the wall's layout needs; live data reaches the wall by push, not by callbacks."""

from __future__ import annotations

from typing import Any

from dash import html

from datafeeds import queries
from layouts import wall
from layouts.i18n import t


def page(state: Any, lang: str) -> html.Div:
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
    ))


def boundaries(state: Any) -> dict[str, Any]:
    """Return the county's boundaries (read once per process; places change by migration only)."""
    return queries.boundaries(state.engine)
