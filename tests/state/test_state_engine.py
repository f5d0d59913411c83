"""What a state URL names, read without connecting (the faces ask okrsync.state.engine, not SQLAlchemy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from okrsync.state.engine import describe_url, mask_password


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", " sqlite:///file:x?mode=memory&uri=true "]
)
def test_in_memory_sqlite_names_no_file(url: str) -> None:
    facts = describe_url(url)
    assert facts is not None
    assert (facts.backend, facts.in_memory, facts.sqlite_file) == ("sqlite", True, None)


def test_a_sqlite_file_is_named_absolute_with_home_expanded(tmp_path: Path) -> None:
    relative = describe_url("sqlite:///okrsync.db")
    home = describe_url("sqlite:///~/okrsync.db")
    absolute = describe_url(f"sqlite:///{tmp_path}/state.db")
    assert relative is not None and relative.sqlite_file == Path("okrsync.db").absolute()
    assert home is not None and home.sqlite_file == Path.home() / "okrsync.db"
    assert absolute is not None and absolute.sqlite_file == tmp_path / "state.db"
    assert not absolute.in_memory and absolute.password is None


def test_postgres_names_its_password_and_no_file() -> None:
    facts = describe_url("postgresql+psycopg://okr:s3cret-pw@db:5432/okrsync")
    assert facts is not None
    assert (facts.backend, facts.in_memory, facts.sqlite_file, facts.password) == (
        "postgresql",
        False,
        None,
        "s3cret-pw",
    )


@pytest.mark.parametrize("url", ["", "not a url", "okrsync.db"])
def test_no_database_url_is_none(url: str) -> None:
    assert describe_url(url) is None


def test_a_password_is_masked_where_the_url_does_not_parse() -> None:
    assert mask_password("postgresql://okr:pa ss@db/x") == "postgresql://okr:***@db/x"
