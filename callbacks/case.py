"""Serve one case at the desk: the page (each view audited) and the unmask, which needs a reason and is audited."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import accounts, auth
from dashboard.websessions import Principal
from datafeeds import queries
from datafeeds.masking import mask_case
from layouts import case as case_layout
from layouts import shell
from layouts.i18n import pick_lang, say

# Who may see a case's personal data in full (with a reason): an officer and every role above.
UNMASK_LEVEL = "officer"


def _masked(state: Any, detail: dict[str, Any]) -> dict[str, Any]:
    village = queries.names(state.engine, "zh-CN")["places"].get(detail["village"] or "")
    return mask_case(detail, village)


def page(state: Any, principal: Principal, case_no: str, lang: str) -> Any:
    """Return a case's page with its personal data masked, and write the view to the audit log."""
    detail = queries.case_detail(state.engine, case_no)
    if detail is None:
        return case_layout.missing(case_no, lang)
    accounts.audit(state.engine, principal.actor, principal.role, "case.view", target=case_no,
                   source_ip=auth.client_ip())
    return case_layout.layout(_masked(state, detail), queries.names(state.engine, lang), lang, state.tz)


def unmask(state: Any, principal: Principal | None, case_no: str | None, reason: str | None,
           lang: str) -> list[Any]:
    """Return the case's personal part in full when the principal may and gave a reason (audited), else masked."""
    if principal is None or not principal.may(UNMASK_LEVEL) or not case_no:
        raise PreventUpdate
    detail = queries.case_detail(state.engine, case_no)
    if detail is None:
        raise PreventUpdate
    reason = " ".join((reason or "").split())
    if len(reason) < case_layout.REASON_MIN:
        return case_layout.personal(_masked(state, detail), lang, masked=True,
                                    message=say("case.unmask_needs_reason", lang))
    accounts.audit(state.engine, principal.actor, principal.role, "case.unmask", target=case_no, reason=reason,
                   source_ip=auth.client_ip())
    return case_layout.personal(detail, lang, masked=False, reason=reason)


def register(app: Dash, state: Any) -> None:
    """Wire the unmask button."""

    def on_unmask(n_clicks: int | None, reason: str | None, case_no: str | None, search: str | None) -> list[Any]:
        if not n_clicks:
            raise PreventUpdate
        requested = (search or "").partition("lang=")[2].partition("&")[0] or None
        return unmask(state, auth.current_principal(), case_no, reason, pick_lang(requested, state.settings.lang))

    app.callback(Output(case_layout.PERSONAL, "children"), Input(case_layout.UNMASK, "n_clicks"),
                 State(case_layout.REASON, "value"), State(case_layout.CASE_NO, "data"),
                 State(shell.URL, "search"), prevent_initial_call=True)(on_unmask)
