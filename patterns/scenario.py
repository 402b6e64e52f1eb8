"""The scenario model (format `mscomm.scenario/1`) and its validation.

`load(doc)` turns a JSON document into an immutable `Scenario` or raises one
`ScenarioError` that lists every problem with its field path. The structure (types,
ranges, unknown fields) is checked by pydantic; references between parts (ids, link
directions, operations, workload entries, fault targets) by `_check_references`, which
runs on the raw document as well so that both kinds of problem come back together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)

from patterns.errors import Problem, ScenarioError
from patterns.references import CALL_STYLES, Index, check_fault, check_references
from patterns.slos import MAX_SLOS, Slo, check_slos, slo_results
from patterns.validation import problems_from_pydantic

FORMAT = "mscomm.scenario/1"
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
DAY_MS = 86_400_000.0
MAX_NODES = 2000
MAX_LINKS = 5000
MAX_WORKLOAD = 100
MAX_FAULTS = 1000

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Label = Annotated[str, StringConstraints(max_length=200)]
Ms = Annotated[float, Field(ge=0, le=DAY_MS)]
PositiveMs = Annotated[float, Field(gt=0, le=DAY_MS)]
Share = Annotated[float, Field(ge=0, le=1)]


def _whole_number(value: Any) -> Any:
    # JSON has one kind of number: `2.0` is the integer 2 to JSON Schema and to the many
    # writers that print every number as a float, so take it as one.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_whole_number)]


class _Model(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
    )


# --- durations -------------------------------------------------------------------------


class Exponential(_Model):
    dist: Literal["exponential"]
    mean: PositiveMs


class Uniform(_Model):
    dist: Literal["uniform"]
    min: Ms
    max: Ms

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.max < self.min:
            raise ValueError("max must be >= min")
        return self


class Normal(_Model):
    dist: Literal["normal"]
    mean: Ms
    sd: Ms


class Lognormal(_Model):
    dist: Literal["lognormal"]
    median: PositiveMs
    p99: PositiveMs

    @model_validator(mode="after")
    def _ordered(self) -> Lognormal:
        if self.p99 <= self.median:
            raise ValueError("p99 must be > median")
        return self


DISTS = ("exponential", "uniform", "normal", "lognormal")
Dist = Union[Exponential, Uniform, Normal, Lognormal]


def _duration_tag(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "constant"
    if isinstance(value, Mapping):
        dist = value.get("dist")
        return dist if dist in DISTS else None
    if isinstance(value, BaseModel):
        return getattr(value, "dist", None)
    return None


Duration = Annotated[
    Union[
        Annotated[Ms, Tag("constant")],
        Annotated[Exponential, Tag("exponential")],
        Annotated[Uniform, Tag("uniform")],
        Annotated[Normal, Tag("normal")],
        Annotated[Lognormal, Tag("lognormal")],
    ],
    Discriminator(
        _duration_tag,
        custom_error_type="duration",
        custom_error_message=(
            'must be a number of milliseconds or {"dist": "exponential" | "uniform" | '
            '"normal" | "lognormal", ...}'
        ),
    ),
]


def duration_mean_ms(duration: float | Dist) -> float:
    """The mean of a duration in ms (for displays and rough checks, not for sampling)."""
    if isinstance(duration, (int, float)):
        return float(duration)
    if isinstance(duration, Exponential):
        return duration.mean
    if isinstance(duration, Uniform):
        return (duration.min + duration.max) / 2
    if isinstance(duration, Normal):
        return duration.mean
    import math

    sigma = math.log(duration.p99 / duration.median) / 2.3263478740408408
    return duration.median * math.exp(sigma * sigma / 2)


# --- nodes -----------------------------------------------------------------------------


class Operation(_Model):
    id: Id
    label: Label = ""
    work_ms: Duration | None = None
    calls: tuple[Id, ...] = Field(default=(), strict=False, max_length=200)
    max_concurrent: Int | None = Field(default=None, ge=1, le=10_000)


class Service(_Model):
    id: Id
    kind: Literal["service"]
    label: Label = ""
    instances: Int = Field(default=1, ge=1, le=100)
    workers: Int = Field(default=10, ge=1, le=10_000)
    queue_limit: Int | None = Field(default=None, ge=0, le=10_000_000)
    load_balancing: Literal["round_robin", "random", "least_busy"] = "round_robin"
    health_checks: bool = False
    work_ms: Duration = 1.0
    restart_ms: Ms = 5000.0
    operations: tuple[Operation, ...] | None = Field(
        default=None, strict=False, min_length=1, max_length=100
    )

    def effective_operations(self, scenario: Scenario) -> tuple[Operation, ...]:
        """The operations as declared, or the implicit `default` one making every
        outgoing sync, async, publish and write link."""
        if self.operations is not None:
            return self.operations
        calls = tuple(link.id for link in scenario.links_from(self.id) if link.style in CALL_STYLES)
        return (Operation(id="default", calls=calls),)

    def operation(self, scenario: Scenario, op_id: str | None) -> Operation | None:
        """The operation `op_id` (None: `default`) of this service, or None."""
        wanted = op_id or "default"
        for op in self.effective_operations(scenario):
            if op.id == wanted:
                return op
        return None


class Topic(_Model):
    id: Id
    kind: Literal["topic"]
    label: Label = ""
    delivery_ms: Duration = 1.0
    max_deliveries: Int | None = Field(default=5, ge=1, le=10_000)
    redelivery_ms: Ms = 1000.0
    poison_probability: Share = 0.0


class Datastore(_Model):
    id: Id
    kind: Literal["datastore"]
    label: Label = ""
    write_ms: Duration = 1.0
    read_ms: Duration = 1.0


Node = Annotated[Union[Service, Topic, Datastore], Field(discriminator="kind")]


# --- links -----------------------------------------------------------------------------

Style = Literal["sync", "async", "publish", "subscribe", "write", "poll"]


class Breaker(_Model):
    failure_rate: float = Field(default=0.5, gt=0, le=1)
    window: Int = Field(default=20, ge=1, le=10_000)
    min_calls: Int = Field(default=10, ge=1, le=10_000)
    open_ms: PositiveMs = 5000.0

    @model_validator(mode="after")
    def _fits_window(self) -> Breaker:
        if self.min_calls > self.window:
            raise ValueError("min_calls must be <= window")
        return self


class Link(_Model):
    id: Id
    from_: Id = Field(alias="from")
    to: Id
    style: Style
    label: Label = ""
    network_ms: Duration = 1.0
    timeout_ms: PositiveMs | None = None
    retries: Int = Field(default=0, ge=0, le=100)
    backoff_ms: Ms = 0.0
    backoff_multiplier: float = Field(default=2.0, ge=1, le=100)
    circuit_breaker: Breaker | None = None
    reply_work_ms: Duration = 0.0
    step: Int = Field(default=1, ge=1, le=1000)
    probability: Share = 1.0
    optional: bool = False
    interval_ms: PositiveMs | None = None
    operation: Id | None = None


# --- workload and faults ---------------------------------------------------------------


class Arrival(_Model):
    process: Literal["poisson", "constant"]
    rate_per_s: float = Field(gt=0, le=1_000_000)


class Workload(_Model):
    entry: Id
    operation: Id | None = None
    arrival: Arrival
    from_s: float = Field(default=0.0, ge=0, le=86_400)
    to_s: float | None = Field(default=None, gt=0, le=86_400)
    # SLOs and deadlines (docs/scenario-format.md): how long the client waits.
    deadline_ms: PositiveMs | None = None


FaultMode = Literal["crash", "omission", "timing", "response", "arbitrary"]


class Fault(_Model):
    target: Id
    mode: FaultMode
    from_s: float = Field(default=0.0, ge=0, le=172_800)
    to_s: float | None = Field(default=None, gt=0, le=172_800)
    probability: Share = 1.0
    extra_ms: Duration | None = None
    instance: Int | None = Field(default=None, ge=0, le=99)
    refuse: bool = False

    @model_validator(mode="after")
    def _window(self) -> Fault:
        if self.to_s is not None and self.to_s <= self.from_s:
            raise ValueError("to_s must be > from_s")
        return self


class Point(_Model):
    x: float = Field(ge=-1e7, le=1e7)
    y: float = Field(ge=-1e7, le=1e7)


class Watch(_Model):
    """The moment worth watching and the speed to watch it at (a live run skips ahead)."""

    from_s: float = Field(ge=0, le=172_800)
    speed: float = Field(default=1.0, ge=0.001, le=100)


# --- the scenario ----------------------------------------------------------------------


class Scenario(_Model):
    """A validated, immutable scenario; build it with `load`."""

    format: Literal["mscomm.scenario/1"]
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=4000)
    seed: Int = Field(default=1, ge=0, le=2**63 - 1)
    duration_s: float = Field(default=60.0, gt=0, le=86_400)
    drain_s: float = Field(default=30.0, ge=0, le=86_400)
    warmup_s: float = Field(default=0.0, ge=0)
    nodes: tuple[Node, ...] = Field(default=(), strict=False, max_length=MAX_NODES)
    links: tuple[Link, ...] = Field(default=(), strict=False, max_length=MAX_LINKS)
    workload: tuple[Workload, ...] = Field(default=(), strict=False, max_length=MAX_WORKLOAD)
    faults: tuple[Fault, ...] = Field(default=(), strict=False, max_length=MAX_FAULTS)
    # SLOs and deadlines: targets on result figures (patterns/slos.py checks the metrics).
    slos: tuple[Slo, ...] = Field(default=(), strict=False, max_length=MAX_SLOS)
    layout: dict[Annotated[str, StringConstraints(max_length=40)], Point] = Field(
        default_factory=dict, max_length=MAX_NODES
    )
    watch: Watch | None = None

    _nodes: dict[str, Service | Topic | Datastore] = PrivateAttr(default_factory=dict)
    _links: dict[str, Link] = PrivateAttr(default_factory=dict)
    _from: dict[str, tuple[Link, ...]] = PrivateAttr(default_factory=dict)
    _to: dict[str, tuple[Link, ...]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._nodes = {n.id: n for n in self.nodes}
        self._links = {link.id: link for link in self.links}
        outgoing: dict[str, list[Link]] = {}
        incoming: dict[str, list[Link]] = {}
        for link in self.links:
            outgoing.setdefault(link.from_, []).append(link)
            incoming.setdefault(link.to, []).append(link)
        self._from = {k: tuple(v) for k, v in outgoing.items()}
        self._to = {k: tuple(v) for k, v in incoming.items()}

    def node(self, node_id: str) -> Service | Topic | Datastore:
        return self._nodes[node_id]

    def parse_fault(self, doc: Any, *, loc: str = "fault") -> Fault:
        """`parse_fault(doc, self)`: one fault checked against this scenario (how the
        engine checks a fault document injected into a run without importing this module)."""
        return parse_fault(doc, self, loc=loc)

    def slo_results(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        """This scenario's SLOs read on a result document (how the engine adds them to its
        result without importing this module or the figures' vocabulary)."""
        return slo_results(self.slos, result)

    def link(self, link_id: str) -> Link:
        return self._links[link_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes

    def has_link(self, link_id: str) -> bool:
        return link_id in self._links

    @property
    def services(self) -> tuple[Service, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Service))

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Topic))

    @property
    def datastores(self) -> tuple[Datastore, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Datastore))

    def links_from(self, node_id: str) -> tuple[Link, ...]:
        return self._from.get(node_id, ())

    def links_to(self, node_id: str) -> tuple[Link, ...]:
        return self._to.get(node_id, ())

    @property
    def end_s(self) -> float:
        return self.duration_s + self.drain_s

    def to_doc(self) -> dict[str, Any]:
        """The scenario as a JSON-ready document (fields left at their defaults omitted)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- loading ---------------------------------------------------------------------------


def load(doc: Mapping[str, Any] | str | bytes) -> Scenario:
    """Validate a scenario document (a dict, or JSON text) and return the model.

    Raises `ScenarioError` listing every problem found, each with its field path.
    """
    if isinstance(doc, (str, bytes, bytearray)):
        doc = parse_json(doc)
    if not isinstance(doc, Mapping):
        raise ScenarioError([Problem("", "a scenario must be a JSON object")])
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(dict(doc))
    except ValidationError as exc:
        problems.extend(problems_from_pydantic(exc))
    problems.extend(check_references(doc))
    problems.extend(check_slos(doc))  # SLOs and deadlines
    if problems:
        raise ScenarioError(_unique(problems))
    assert scenario is not None
    return scenario


def parse_json(text: str | bytes | bytearray) -> Any:
    """Parse JSON text, turning every parse failure into a `ScenarioError`."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8-sig")
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            [Problem("", f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem("", "not valid JSON: not UTF-8 text")]) from None
    except RecursionError:
        raise ScenarioError([Problem("", "not valid JSON: nested too deeply")]) from None


def parse_fault(doc: Any, scenario: Scenario, *, loc: str = "fault") -> Fault:
    """Validate one fault (for example one injected into a live run) against a scenario."""
    if not isinstance(doc, Mapping):
        raise ScenarioError([Problem(loc, "must be an object")])
    problems: list[Problem] = []
    fault: Fault | None = None
    try:
        fault = Fault.model_validate(dict(doc))
    except ValidationError as exc:
        problems.extend(problems_from_pydantic(exc, prefix=loc))
    if fault is not None:
        problems.extend(check_fault(fault.model_dump(), loc, Index(scenario.to_doc())))
    if problems:
        raise ScenarioError(_unique(problems))
    assert fault is not None
    return fault


_SECTIONS = {name: i for i, name in enumerate(Scenario.model_fields)}


def _unique(problems: list[Problem]) -> list[Problem]:
    """Problems without repeats, in document order (sections as the format lists them)."""

    def key(problem: Problem) -> tuple[Any, ...]:
        tokens = re.findall(r"\[(\d+)\]|([^.\[\]]+)", problem.loc)
        head = tokens[0][1] if tokens else ""
        rest = tuple((0, int(n), "") if n else (1, 0, name) for n, name in tokens[1:])
        return (_SECTIONS.get(head, len(_SECTIONS)), head, rest)

    return sorted(dict.fromkeys(problems), key=key)
