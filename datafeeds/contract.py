"""Define feed contract v1: the envelope, every event type and how raw messages are validated."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from datafeeds.jsonguard import DEFAULT_MAX_BYTES, MAX_DEPTH, check_shape, check_size

CONTRACT_VERSION = 1

CaseNo = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]
Note = Annotated[str, Field(max_length=2000)]
CategoryCode = Annotated[str, Field(pattern=r"^\d{2}(\d{2})?$")]


class Channel(StrEnum):
    """Name the feed channels (the part after `<prefix>:feed:`)."""

    CASES = "cases"
    ALERTS = "alerts"
    HEARTBEAT = "heartbeat"


def channel_name(prefix: str, channel: Channel) -> str:
    """Return the Redis channel of one feed under a prefix."""
    return f"{prefix}:feed:{channel.value}"


def stream_key(prefix: str) -> str:
    """Return the Redis Stream that logs every published event under a prefix (the ingest replays it)."""
    return f"{prefix}:feed:log"


class SourceChannel(StrEnum):
    """Where a case came in (来源渠道)."""

    WALK_IN = "walk_in"
    HOTLINE_12345 = "hotline_12345"
    GRID = "grid"
    POLICE_110 = "police_110"
    COURT = "court"
    PETITION = "petition"
    SUPERIOR = "superior"
    ONLINE = "online"


class Supervision(StrEnum):
    """Supervision level (督办)."""

    NONE = "none"
    NORMAL = "normal"
    YELLOW = "yellow"
    RED = "red"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=False)


class Party(_Strict):
    """A party to a case (当事人); personal data, masked before display."""

    role: Literal["applicant", "respondent", "other"] = "applicant"
    name: Annotated[str, Field(max_length=100)] = ""
    id_type: Annotated[str, Field(max_length=20)] = ""
    id_number: Annotated[str, Field(max_length=40)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    sex: Literal["", "M", "F"] = ""
    address: Annotated[str, Field(max_length=200)] = ""


class CaseData(_Strict):
    """Fields every case event carries."""

    case_no: CaseNo
    department: Code | None = None
    note: Note = ""


class RegisteredData(CaseData):
    """A new case (登记受理)."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Note = ""
    category: CategoryCode
    scale: Literal["01", "02", "03"] = "01"
    grade: Literal["01", "02", "03", "04"] = "04"
    urgent: bool = False
    group: bool = False
    long_standing: bool = False
    people_involved: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    amount_involved: Annotated[float, Field(ge=0, le=1e13)] | None = None
    source_channel: SourceChannel
    township: Code
    village: Code | None = None
    grid: Annotated[str, Field(max_length=32)] | None = None
    address: Annotated[str, Field(max_length=200)] = ""
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    parties: Annotated[list[Party], Field(max_length=50)] = []


class TriagedData(CaseData):
    """The center has judged and routed the case (研判分流)."""

    category: CategoryCode | None = None
    grade: Literal["01", "02", "03", "04"] | None = None


class AssignedData(CaseData):
    """The case is assigned to a department (交办); deadlines may be given or are computed."""

    department: Code
    sign_due: AwareDatetime | None = None
    resolve_due: AwareDatetime | None = None


class SignedData(CaseData):
    """The department signed for the case (签收)."""

    department: Code


class ProgressData(CaseData):
    """The department reports progress (办理中)."""

    department: Code


class ReturnedData(CaseData):
    """The department returns the case to the center (回退)."""

    department: Code
    reason: Note = ""


class EscalatedData(CaseData):
    """The case is escalated to the county (上报)."""

    to_tier: Literal["county", "township"] = "county"


class ExtensionData(CaseData):
    """An extension of the resolve deadline is requested, granted or refused (延期)."""

    department: Code
    status: Literal["requested", "granted", "refused"]
    resolve_due: AwareDatetime | None = None


class ResolvedData(CaseData):
    """The department reports the case resolved (办结)."""

    department: Code
    outcome: Literal["success", "failed"]
    method: Annotated[str, Field(max_length=40)] = ""


class VisitedData(CaseData):
    """The follow-up visit (回访) and its rating."""

    satisfaction: Literal["satisfied", "basic", "unsatisfied"]


class ClosedData(CaseData):
    """The case is archived (结案)."""


class SupervisedData(CaseData):
    """The supervision level changes (督办)."""

    level: Supervision


class ReferredData(CaseData):
    """The case leaves for a formal channel, which closes it here (转诉讼·仲裁·复议·信访)."""

    channel: Literal["litigation", "arbitration", "reconsideration", "petition"]


class TerminatedData(CaseData):
    """The case is terminated (终止)."""

    reason: Note = ""


class AlertData(_Strict):
    """A major or group incident that the wall must show at once."""

    alert_id: Code
    level: Literal["major", "group", "info"]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    township: Code | None = None
    case_no: CaseNo | None = None
    category: CategoryCode | None = None


class AlertClearedData(_Strict):
    """An alert is over."""

    alert_id: Code


class HeartbeatData(_Strict):
    """A publisher is alive; it promises the next beat within `interval_s`."""

    interval_s: Annotated[float, Field(gt=0, le=3600)] = 10.0


class Envelope(_Strict):
    """Fields every message carries."""

    v: Literal[1]
    id: Annotated[str, Field(min_length=1, max_length=128)]
    source: Annotated[str, Field(min_length=1, max_length=64)]
    seq: Annotated[int, Field(ge=0, le=2**63 - 1)]
    type: str
    at: AwareDatetime
    data: Any

    @field_validator("v", mode="before")
    @classmethod
    def _version_is_a_number(cls, value: Any) -> Any:
        # JSON `true` equals 1 to Python, and Literal[1] lets it through even in strict mode.
        if isinstance(value, bool):
            raise ValueError("v must be the number 1")
        return value


def _event(name: str, type_: str, data: type[BaseModel], doc: str) -> type[Envelope]:
    cls = type(
        name,
        (Envelope,),
        {
            "__annotations__": {"type": Literal[type_], "data": data},
            "__doc__": doc,
            "__module__": __name__,
        },
    )
    return cls


CASE_EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    "case.registered": (RegisteredData, "登记受理"),
    "case.triaged": (TriagedData, "研判分流"),
    "case.assigned": (AssignedData, "交办"),
    "case.signed": (SignedData, "签收"),
    "case.progress": (ProgressData, "办理进展"),
    "case.returned": (ReturnedData, "回退"),
    "case.escalated": (EscalatedData, "上报"),
    "case.extension": (ExtensionData, "延期"),
    "case.resolved": (ResolvedData, "办结"),
    "case.visited": (VisitedData, "回访"),
    "case.closed": (ClosedData, "结案"),
    "case.supervised": (SupervisedData, "督办"),
    "case.referred": (ReferredData, "转出"),
    "case.terminated": (TerminatedData, "终止"),
}
OTHER_EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    "alert.raised": (AlertData, "警报"),
    "alert.cleared": (AlertClearedData, "警报解除"),
    "heartbeat": (HeartbeatData, "心跳"),
}
ALL_EVENTS = {**CASE_EVENTS, **OTHER_EVENTS}

EVENT_MODELS: dict[str, type[Envelope]] = {
    type_: _event(
        "".join(part.title() for part in type_.replace(".", "_").split("_")) + "Event",
        type_,
        data,
        f"{type_} ({label})",
    )
    for type_, (data, label) in ALL_EVENTS.items()
}

# The union is built at runtime from the table above, so type checkers see it as Any.
AnyEvent: Any = Annotated[
    Union[tuple(EVENT_MODELS.values())],  # noqa: UP007
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def channel_for(type_: str) -> Channel:
    """Return the feed channel an event type travels on."""
    if type_.startswith("case."):
        return Channel.CASES
    if type_.startswith("alert."):
        return Channel.ALERTS
    return Channel.HEARTBEAT


class ContractError(ValueError):
    """A message that breaks the feed contract; `reason` is a short code, `detail` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Reasons a validation error maps to, most telling first: a message with several errors gets the first.
_RANKED = ("not_json", "not_object", "bad_version", "unknown_type", "not_finite", "missing_field",
           "unknown_field", "off_globe", "wrong_type", "invalid_value")
_NOT_OBJECT = frozenset({"dict_type", "model_type", "model_attributes_type"})
_RANGE = frozenset({"less_than_equal", "greater_than_equal", "less_than", "greater_than"})


def _is_type_error(kind: str) -> bool:
    return kind.endswith("_type") or kind == "int_from_float"


def _error_reason(error: Any) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind in ("json_invalid", "json_type"):
        return "not_json"
    if loc == () and kind in _NOT_OBJECT:
        return "not_object"
    if loc == () and kind in ("union_tag_invalid", "union_tag_not_found"):
        version = value.get("v", 1) if isinstance(value, dict) else 1
        if type(version) is not int or version != CONTRACT_VERSION:
            return "bad_version"
        return "unknown_type" if kind == "union_tag_invalid" else "missing_field"
    if len(loc) >= 2 and loc[1] == "v":
        return "missing_field" if kind == "missing" else "bad_version"
    if kind == "finite_number":
        return "not_finite"
    if kind == "missing":
        return "missing_field"
    if kind == "extra_forbidden":
        return "unknown_field"
    if loc and loc[-1] in ("lat", "lon") and kind in _RANGE:
        return "off_globe"
    if _is_type_error(kind):
        return "wrong_type"
    return "invalid_value"


def _reason_of(exc: ValidationError) -> str:
    return _explain(exc)[0]


def _explain(exc: ValidationError) -> tuple[str, str]:
    """Return the reason code of a validation error and a detail naming the error that decided it first."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: _RANKED.index(_error_reason(e)))
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    return _error_reason(errors[0]), detail


def parse_event(raw: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = MAX_DEPTH) -> Envelope:
    """Decode and validate one raw feed message, or raise ContractError with a reason (`datafeeds.reasons`).

    In order: the size (before anything decodes the bytes), UTF-8, nesting depth, NaN/Infinity and NUL
    (before the JSON parser sees the text), then the contract, strictly: no type coercion.
    """
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ContractError("bad_utf8", str(exc)) from exc
    refused = check_size(raw, max_bytes)
    try:
        text = raw.decode("utf-8") if refused is None else ""
    except UnicodeDecodeError as exc:
        raise ContractError("bad_utf8", str(exc)) from exc
    refused = refused or check_shape(raw, max_depth)
    if refused is not None:
        raise ContractError(*refused)
    try:
        event: Envelope = EVENT_ADAPTER.validate_json(text, strict=True)
    except ValidationError as exc:
        raise ContractError(*_explain(exc)) from exc
    return event


def event_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a feed message (any event type)."""
    schema: dict[str, Any] = EVENT_ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"zhongshu feed message, contract v{CONTRACT_VERSION}"
    return schema


def build_event(
    type_: str,
    data: dict[str, Any],
    *,
    id: str,
    source: str,
    seq: int,
    at: datetime,
) -> Envelope:
    """Build and validate an event from its parts."""
    payload = {"v": CONTRACT_VERSION, "id": id, "source": source, "seq": seq, "type": type_,
               "at": at.isoformat(), "data": data}
    try:
        event: Envelope = EVENT_ADAPTER.validate_python(payload)
    except ValidationError as exc:
        raise ContractError(_reason_of(exc), str(exc)) from exc
    return event


def dumps(event: Envelope) -> str:
    """Serialise an event to its wire form."""
    return event.model_dump_json(exclude_none=True)


def loads_dict(raw: str) -> dict[str, Any]:
    """Parse JSON text into a dict or raise ContractError."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ContractError("not_json", str(exc)) from exc
    if not isinstance(value, dict):
        raise ContractError("not_object", "a message must be a JSON object")
    return value
