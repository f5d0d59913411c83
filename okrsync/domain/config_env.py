"""Which environment variable a bad configuration value came from, so the message can name it.

Settings come from ``OKRSYNC_<SECTION>__<KEY>`` variables (the process environment, then a ``.env``
file in the working directory) over the YAML file. A value that fails validation is reported as the
variable's problem when a variable set it: the file may well say something valid there.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "OKRSYNC_"
ENV_NESTED_DELIMITER = "__"
ENV_FILE = ".env"


@dataclass(frozen=True, slots=True)
class EnvOrigin:
    """An environment variable that set a value: its name and where it is defined."""

    name: str
    in_file: str | None = None  # ".env" when it comes from the dotenv file

    def label(self) -> str:
        return f"{self.in_file}: {self.name}" if self.in_file else self.name

    def fix(self) -> str:
        return f"Fix it in {self.in_file}." if self.in_file else "Fix or unset the environment variable."


def _dotenv(path: str = ENV_FILE) -> Mapping[str, str | None]:
    if not Path(path).is_file():
        return {}
    from dotenv import dotenv_values

    try:
        return dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}


def _sources() -> list[tuple[Mapping[str, str], str | None]]:
    """The variables by upper-case name, highest priority first: the process, then ``.env``."""
    process = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
    dotenv = {k.upper(): v for k, v in _dotenv().items() if v is not None}
    return [(process, None), (dotenv, ENV_FILE)]


def env_origin(loc: Sequence[int | str]) -> EnvOrigin | None:
    """The variable that supplied the value at ``loc`` (pydantic's error location), if one did.

    ``("policy", "tolerance")`` is ``OKRSYNC_POLICY__TOLERANCE``, or ``OKRSYNC_POLICY`` when that
    one holds a JSON object with ``tolerance`` in it; list items only come whole, as JSON.
    """
    names: list[str] = []
    for part in loc:
        if not isinstance(part, str):
            break
        names.append(part)
    for values, in_file in _sources():
        for n in range(len(names), 0, -1):
            name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(names[:n]).upper()
            if name not in values:
                continue
            if n == len(loc) or _json_has(values[name], loc[n:]):
                return EnvOrigin(name, in_file)
    return None


def _json_has(text: str, rest: Sequence[int | str]) -> bool:
    try:
        value: Any = json.loads(text)
    except ValueError:
        return False
    for part in rest:
        if isinstance(part, int):
            found = isinstance(value, list) and -len(value) <= part < len(value)
        else:
            found = isinstance(value, dict) and part in value
        if not found:
            return False
        value = value[part]
    return True


_FIELD = re.compile(r'error parsing value for field "(?P<field>[^"]+)" from source "(?P<source>\w+)"')


def describe_settings_error(message: str) -> str:
    """pydantic-settings' "error parsing value for field ..." (a section variable that is not JSON)
    as one problem line naming the variable and the fix."""
    match = _FIELD.search(message)
    if match is None:
        return f"the environment: {message}. Check the OKRSYNC_ variables (and .env)."
    section = match["field"]
    origin = env_origin((section,)) or EnvOrigin(
        ENV_PREFIX + section.upper(), ENV_FILE if "DotEnv" in match["source"] else None
    )
    return (
        f"{origin.label()} ({section}): not a JSON value. Set one key as "
        f"{ENV_PREFIX}{section.upper()}{ENV_NESTED_DELIMITER}KEY=value, or the whole section as JSON "
        f'(e.g. \'{{"key": "value"}}\'). {origin.fix()}'
    )
