"""Validated configuration: the OKR YAML file plus connection and runtime settings.

Sources, highest priority first: environment variables (prefix ``OKRSYNC_``, nesting with
``__``, e.g. ``OKRSYNC_JIRA__API_TOKEN``), a ``.env`` file in the working directory, the YAML
file. Secrets are ``SecretStr`` and never printed.

Bad configuration raises :class:`ConfigError` with one line per problem, each naming the key path
and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from okrsync.domain.config_check import cross_check
from okrsync.domain.config_digest import DigestConfig
from okrsync.domain.config_env import (
    ENV_FILE,
    ENV_NESTED_DELIMITER,
    ENV_PREFIX,
    describe_settings_error,
    env_origin,
)
from okrsync.domain.model import Level, Measure, OkrsyncError, Period

DEFAULT_CONFIG_PATH = Path("config/okrsync.yaml")

DEFAULT_CANCELLED_RESOLUTIONS = (
    "Won't Do",
    "Won't Fix",
    "Duplicate",
    "Cancelled",
    "Canceled",
    "Declined",
    "Cannot Reproduce",
    "Obsolete",
)


class ConfigError(OkrsyncError):
    """Configuration that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str], source: str = "configuration") -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{source} has {len(problems)} {noun}:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraConfig(_Strict):
    url: str = Field("", description="Base URL of the Jira site, e.g. https://acme.atlassian.net")
    email: str | None = Field(None, description="Cloud: the account email that owns the API token")
    flavor: Literal["auto", "cloud", "datacenter"] = "auto"
    api_token: SecretStr | None = None
    pat: SecretStr | None = None
    requests_per_second: float = Field(
        20.0,
        gt=0,
        description=(
            "The most requests a second, all workers together; okrsync paces slower when Jira says so "
            "(429, X-RateLimit-NearLimit, Data Center's X-RateLimit-FillRate)"
        ),
    )
    max_concurrency: int = Field(
        8,
        ge=1,
        le=16,
        description=(
            "How many requests okrsync has in flight at once (independent issues written in "
            "parallel; one issue's changes stay in order); 1 sends one request at a time"
        ),
    )
    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(5, ge=0, le=20)
    max_retry_seconds: float = Field(300.0, gt=0, description="Give up retrying after this long")
    children: Literal["auto", "parent", "epic_link"] = Field(
        "auto", description="How action plans hang under epics: parent field, Epic Link, or auto"
    )
    story_points_field: str | None = Field(
        None, description="Name of the story point field; default: whichever the site has"
    )


class PeriodConfig(_Strict):
    name: str
    start: date
    end: date
    level: str | None = Field(
        None,
        description="What kind of period (year, half, quarter, ...); periods of one level may not overlap",
    )

    def to_period(self) -> Period:
        return Period(self.name, self.start, self.end)

    def contains(self, other: PeriodConfig) -> bool:
        return self.start <= other.start and other.end <= self.end


class ObjectiveConfig(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    owner: str | None = None
    level: Level = Level.TEAM
    aligns_to: str | None = None
    weight: float = Field(1.0, gt=0)
    due: date | None = None
    period: str | None = Field(
        None, description="The name of its period (periods:); default: the only period"
    )


class ObjectivesFromJiraConfig(_Strict):
    jql: str = Field(min_length=1)
    align_by: Literal["parent", "link", "field"] = "parent"
    link_type: str | None = Field(None, description="Issue link type name when align_by is link")
    field: str | None = Field(
        None, description="Field holding the parent objective key when align_by is field"
    )
    level: Level = Level.TEAM


class MetricConfig(_Strict):
    field: str = Field(min_length=1, description="Number field on the KR epic holding the current value")
    start: float
    target: float


DEFAULT_MANUAL_FIELD = "OKR Manual Progress"
"""The number field of a ``measure: manual`` key result that names none (``okrsync setup`` makes it)."""


class ManualConfig(_Strict):
    field: str = Field(DEFAULT_MANUAL_FIELD, min_length=1, description="Number field, 0–100 %")


class KeyResultConfig(_Strict):
    objective: str
    epic: str | None = None
    jql: str | None = None
    measure: Measure = Measure.ISSUES
    metric: MetricConfig | None = None
    manual: ManualConfig | None = None
    weight: float = Field(1.0, gt=0)
    title: str | None = None
    owner: str | None = None
    due: date | None = None
    period: str | None = Field(
        None, description="The name of its period (periods:); default: its objective's, else the only period"
    )
    carry_over: bool = Field(
        False, description="Carry it into the next period of the same level when its period closes"
    )

    @property
    def manual_field(self) -> str | None:
        """The number field a manual key result's progress is typed into (``None`` for other measures)."""
        if self.measure != Measure.MANUAL:
            return None
        return self.manual.field if self.manual is not None else DEFAULT_MANUAL_FIELD


class PolicyConfig(_Strict):
    in_progress_credit: float = Field(0.0, ge=0, le=1)
    tolerance: float = Field(0.1, ge=0, le=1)
    off_track_gap: float | None = Field(
        None, gt=0, le=1, description="Gap to expected beyond which a KR is off track; default 2 × tolerance"
    )
    stale_after_days: int = Field(14, ge=1)
    max_krs_per_objective: int = Field(5, ge=1)
    checkin_days: int = Field(
        7, ge=1, description="Days after which a KR without a check-in (OKR Confidence) is a coach finding"
    )
    confidence_affects_health: bool = Field(
        True,
        description=(
            "A KR's health is the worse of its progress health and its owner's confidence "
            "(Low: Off track, Medium: At risk, High: no effect); false: confidence is only shown"
        ),
    )
    cancelled_resolutions: tuple[str, ...] = DEFAULT_CANCELLED_RESOLUTIONS

    @property
    def off_track(self) -> float:
        return self.off_track_gap if self.off_track_gap is not None else 2 * self.tolerance


class WritebackFields(_Strict):
    progress: str = "OKR Progress"
    status: str = "OKR Status"
    expected: str = "OKR Expected"
    objective: str = "OKR Objective"
    key_result: str = "OKR Key Result"
    objective_id: str = "OKR Objective ID"
    """Labels field: the id of the objective a KR or action plan serves, for JQL and gadgets."""
    confidence: str = "OKR Confidence"
    """Select field (High / Medium / Low) on a KR epic: its owner's check-in (okrsync reads it)."""
    checkin: str = "OKR Check-in"
    """Text field on a KR epic: the owner's check-in note (okrsync reads it)."""


class CommentsConfig(_Strict):
    status_change: bool = True
    celebrate: bool = True
    stale_reminder: bool = True


class WritebackConfig(_Strict):
    enabled: bool = True
    notify_users: bool = False
    fields: WritebackFields = WritebackFields()
    score_field: str = Field(
        "OKR Score",
        min_length=1,
        description="Number field for a closed period's final score, 0.0–1.0 (okrsync setup makes it)",
    )
    comments: CommentsConfig = CommentsConfig()


class SyncConfig(_Strict):
    state_url: str = "sqlite:///okrsync.db"
    interval_minutes: int = Field(15, ge=1)
    cron: str | None = Field(None, description="Cron expression; replaces interval_minutes")
    full_reconcile_hours: int = Field(24, ge=1)
    skew_minutes: int = Field(5, ge=0, description="Overlap of incremental fetches, for clock skew")
    max_clear: int | None = Field(
        None,
        ge=0,
        description=(
            "Most issues one run may clear okrsync's values from without --allow-clear "
            "(default: 10, or 20 % of the issues okrsync manages, whichever is larger)"
        ),
    )


class WebhookConfig(_Strict):
    secret: SecretStr | None = None
    allow_unsigned: bool = False
    max_body_bytes: int = Field(1_048_576, gt=0)
    debounce_seconds: float = Field(
        2.0, ge=0, le=300, description="Gather webhooks this long, then run one incremental cycle"
    )
    dedupe_minutes: int = Field(
        60, ge=1, description="Remember delivery identifiers this long, so a redelivery is handled once"
    )
    max_age_minutes: int = Field(
        60,
        ge=1,
        description="Refuse events whose timestamp is older than this (Jira retries for up to 30 min)",
    )


class DaemonConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_format: Literal["plain", "json"] = "plain"
    retry_seconds: float = Field(
        30.0, gt=0, description="First retry after a failed cycle; doubles up to the interval"
    )
    leader_check_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="How often a follower tries the leader lock (and the leader checks it still holds it)",
    )


_yaml_data: ContextVar[Mapping[str, Any]] = ContextVar("okrsync_yaml_data", default=MappingProxyType({}))


class _YamlSource(PydanticBaseSettingsSource):
    """The parsed YAML file, as the lowest-priority settings source."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return _yaml_data.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_data.get())


class Settings(BaseSettings):
    """The whole configuration of okrsync."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    jira: JiraConfig = JiraConfig()
    period: PeriodConfig
    """The one period (``period:``), or with ``periods:`` the span of them all (:func:`span_of`)."""
    periods: tuple[PeriodConfig, ...] = ()
    """The OKR cycles (``periods:``); with the one-period shorthand ``period:``, just that one."""
    objectives: list[ObjectiveConfig] = []
    objectives_from_jira: ObjectivesFromJiraConfig | None = None
    key_results: list[KeyResultConfig] = []
    policy: PolicyConfig = PolicyConfig()
    writeback: WritebackConfig = WritebackConfig()
    sync: SyncConfig = SyncConfig()
    webhook: WebhookConfig = WebhookConfig()
    daemon: DaemonConfig = DaemonConfig()
    digest: DigestConfig = DigestConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, _YamlSource(settings_cls))

    @model_validator(mode="before")
    @classmethod
    def _period_from_periods(cls, data: Any) -> Any:
        """``periods:`` without ``period:``: ``period`` is the span of them all; both: an error."""
        if not isinstance(data, Mapping) or not data.get("periods"):
            return data
        if data.get("period") is not None:
            raise PydanticCustomError(
                "period_and_periods",
                "period and periods: both given. Keep periods: (several cycles) and remove period:, "
                "or keep period: (one cycle) and remove periods:.",
            )
        listed = data["periods"]
        if not isinstance(listed, list | tuple):
            return data
        try:
            parsed = [PeriodConfig.model_validate(p) for p in listed]
        except ValidationError:
            return {**data, "period": {"name": "?", "start": date.min, "end": date.min}}
        return {**data, "period": span_of(parsed).model_dump()} if parsed else data

    @model_validator(mode="after")
    def _periods_from_period(self) -> Settings:
        if not self.periods:  # the one-period shorthand: that period is the only cycle
            object.__setattr__(self, "periods", (self.period,))
        return self

    def period_named(self, name: str | None) -> PeriodConfig | None:
        return next((p for p in self.periods if p.name == name), None)

    def kr_period(self, index: int) -> PeriodConfig:
        """The period of ``key_results[index]``: its own, else its objective's, else the only one
        (the configuration check makes sure one of them names a period)."""
        kr = self.key_results[index]
        named = kr.period
        if named is None:
            obj = next((o for o in self.objectives if o.id == kr.objective), None)
            named = obj.period if obj is not None else None
        found = self.period_named(named)
        if found is not None:
            return found
        return self.periods[0] if len(self.periods) == 1 else self.period

    def kr_periods(self, index: int) -> tuple[PeriodConfig, ...]:
        """``key_results[index]``'s period, then (``carry_over``) the next period of its level."""
        own = self.kr_period(index)
        if not self.key_results[index].carry_over:
            return (own,)
        later = sorted(
            (p for p in self.periods if p.level == own.level and p.start > own.end), key=lambda p: p.start
        )
        return (own, later[0]) if later else (own,)

    def objective_period(self, objective_id: str) -> PeriodConfig | None:
        """An objective's own period (``period:``), else the only period; ``None`` when it names
        none among several (its period is then the span of its key results')."""
        obj = next((o for o in self.objectives if o.id == objective_id), None)
        found = self.period_named(obj.period if obj is not None else None)
        if found is not None:
            return found
        return self.periods[0] if len(self.periods) == 1 else None

    def __repr_args__(self) -> Any:
        # SecretStr already masks itself; this keeps reprs short as well.
        return [("period", self.period.name), ("objectives", len(self.objectives))]


def span_of(periods: list[PeriodConfig]) -> PeriodConfig:
    """The period that holds ``periods``: the one of them that contains all the others (the year
    of its quarters), else one from the first start to the last end named ``FIRST..LAST``."""
    for p in periods:
        if all(p.contains(o) for o in periods):
            return p
    first = min(periods, key=lambda p: p.start)
    last = max(periods, key=lambda p: p.end)
    return PeriodConfig(name=f"{first.name}..{last.name}", start=first.start, end=last.end)


# ---------------------------------------------------------------------------------------- loading


def load_config(path: str | Path, *, use_env: bool = True) -> Settings:
    """Read, validate and cross-check the configuration at ``path``.

    Raises :class:`ConfigError` listing every problem found, each with its key path (or the
    environment variable it came from) and a fix; a file that cannot be read says why and what to do.
    """
    path = Path(path)
    raw = _parse_yaml(_read_text(path), path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            ["the file must be a mapping of keys (jira:, period:, objectives:, ...)"], str(path)
        )
    return config_from_mapping(raw, source=str(path), use_env=use_env)


def _read_text(path: Path) -> str:
    """The file's text (UTF-8), or a :class:`ConfigError` that says why it cannot be read."""
    where = "pass --config PATH (or set OKRSYNC_CONFIG)"
    if path.is_dir():
        inside = path / DEFAULT_CONFIG_PATH.name
        hint = f"Did you mean {inside}? " if inside.is_file() else ""
        raise ConfigError(
            [f"{path}: is a directory, not a configuration file. {hint}Name the YAML file: {where}."],
            source=str(path),
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such file. Copy config/okrsync.example.yaml to {path} and edit it, or {where}."],
            source=str(path),
        ) from None
    except PermissionError:
        raise ConfigError(
            [f"{path}: cannot be read (permission denied). Let this user read it (chmod/chown), or {where}."],
            source=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(
            [f"{path}: cannot be read ({exc.strerror or exc}). Fix the file, or {where}."], source=str(path)
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [
                f"{path}: is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}; an editor may "
                "have saved it as Latin-1 or Windows-1252). Save it as UTF-8."
            ],
            source=str(path),
        ) from None


class _ConfigLoader(yaml.SafeLoader):
    """The safe loader, except that a timestamp that is no real day (``2026-12-32``) stays text, so
    that validation names its key (``period.end: ... not a valid date``) instead of YAML crashing."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_ConfigLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"not valid YAML{where}: {problem}. Fix the syntax there."], str(path)) from None


def config_from_mapping(
    raw: Mapping[str, Any], *, source: str = "configuration", use_env: bool = False
) -> Settings:
    """Validate an already-parsed configuration mapping (the YAML file's content).

    With ``use_env``, a problem with a value an environment variable set names that variable, and
    the message blames the environment, not ``source``.
    """
    token = _yaml_data.set(raw)
    try:
        # With the environment, the YAML file is the lowest-priority source (period comes from it).
        settings = Settings() if use_env else Settings.model_validate(dict(raw))
    except ValidationError as exc:
        problems, from_env = _describe_validation_errors(exc, use_env=use_env)
        raise ConfigError(problems, _blamed(source, from_env, len(problems))) from None
    except SettingsError as exc:
        raise ConfigError([describe_settings_error(str(exc))], "the environment") from None
    except UnicodeDecodeError:
        raise ConfigError(
            [f"{ENV_FILE}: is not UTF-8 text. Save it as UTF-8 (or remove it)."], ENV_FILE
        ) from None
    finally:
        _yaml_data.reset(token)
    problems = cross_check(settings)
    if problems:
        raise ConfigError(problems, source)
    return settings


def _blamed(source: str, from_env: int, problems: int) -> str:
    if from_env == 0:
        return source
    return "the environment" if from_env == problems else f"the configuration ({source} and the environment)"


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out or "(top level)"


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fld = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if fld is None:
            return []
        ann = fld.annotation
        model = _model_in(ann)
        if model is None:
            return []
    return list(model.model_fields) if hasattr(model, "model_fields") else []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


_DATE_ERRORS = frozenset({"date_from_datetime_parsing", "date_parsing", "date_from_datetime_inexact"})


def _describe_validation_errors(exc: ValidationError, *, use_env: bool) -> tuple[list[str], int]:
    """One line per problem, and how many of them come from environment variables."""
    problems: list[str] = []
    from_env = 0
    for err in exc.errors():
        loc = tuple(err["loc"])
        origin = env_origin(loc) if use_env else None
        problem = _describe_one(err, loc)
        if origin is not None:
            from_env += 1
            key, _, rest = problem.partition(": ")
            rest = rest.removesuffix(" Fix the value.")
            problem = f"{origin.label()} ({key}): {rest} {origin.fix()}"
        problems.append(problem)
    return problems, from_env


def _describe_one(err: Any, loc: tuple[int | str, ...]) -> str:
    path = _loc(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _known_keys(loc)
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys here: {', '.join(known)}."
        return f"{path}: unknown key; {hint} Remove or rename it."
    if kind == "period_and_periods":
        return str(err["msg"])
    if kind == "missing" and loc == ("period",):
        return (
            "period: required but missing. Add period: {name, start, end} (one cycle) or "
            "periods: [{name, start, end}, ...] (several; see config/okrsync.example.yaml)."
        )
    if kind == "missing":
        return f"{path}: required but missing. Add it (see config/okrsync.example.yaml)."
    if kind in ("enum", "literal_error"):
        expected = err.get("ctx", {}).get("expected", "")
        return f"{path}: {err['input']!r} is not allowed; use one of {expected}."
    if kind in _DATE_ERRORS:
        why = err.get("ctx", {}).get("error") or "not a calendar day"
        return f"{path}: {str(err.get('input'))!r} is not a day ({why}). Write a real date as YYYY-MM-DD."
    return f"{path}: {err['msg']} (got {err.get('input')!r}). Fix the value."
