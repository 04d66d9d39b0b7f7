"""The one table of settings (``workstation/settings.py``), through the real CLI and a
real workspace: unknown keys, secrets and out-of-range values are refused before
anything is stored or audited; ``config`` lists the whole table; unset settings read
as the table's defaults, and so do values an older workspace stored that are no
longer valid; every setting key the code uses is declared in the table.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from workstation.packs.format.spec import PRIORITIES
from workstation.settings import (
    SETTINGS,
    InvalidSetting,
    check,
    get_int,
    get_list,
    get_optional_int,
    get_text,
)
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace


def workspace_bytes(root: Path) -> bytes:
    """Every byte the workspace holds on disk (the database, its WAL, the audit head ...)."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def audit_trail(root: Path) -> list[dict[str, object]]:
    entries = json.loads(run_cli("audit", "--json", workspace=root, check=True).stdout)
    assert isinstance(entries, list) and entries
    return entries


def listed(root: Path) -> list[dict[str, object]]:
    rows = json.loads(run_cli("config", "--json", workspace=root, check=True).stdout)
    assert isinstance(rows, list)
    return rows


@pytest.fixture
def cli_ws(ws_path: Path) -> Path:
    """A workspace made by the real CLI, with the analyst's name set."""
    run_cli("init", workspace=ws_path, check=True)
    run_cli("config", "analyst", "Jane Smith", workspace=ws_path, check=True)
    return ws_path


def refused(root: Path, *args: str) -> str:
    """Run ``config ARGS``, expecting a usage error; the error line."""
    result = run_cli("config", *args, workspace=root)
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("workstation: error: config: ")
    assert "Traceback" not in result.stderr
    return lines[-1]


# ------------------------------------------------------------------ refusals
def test_an_unknown_key_is_refused_naming_close_matches_and_nothing_is_written(
        cli_ws: Path) -> None:
    trail, settings = audit_trail(cli_ws), listed(cli_ws)

    error = refused(cli_ws, "nonsense_key", "1")
    assert "Unknown setting 'nonsense_key'" in error and "workstation config" in error
    assert "did you mean ocr_jobs" in refused(cli_ws, "ocr_job", "4")
    assert "Unknown setting 'nonsense_key'" in refused(cli_ws, "nonsense_key")

    assert audit_trail(cli_ws) == trail
    assert listed(cli_ws) == settings
    assert b"nonsense_key" not in workspace_bytes(cli_ws)


def test_the_smtp_password_is_never_a_setting_and_never_reaches_the_disk(
        cli_ws: Path) -> None:
    secret = "Pa55-never-stored-7Q"
    trail = audit_trail(cli_ws)

    error = refused(cli_ws, "smtp_password", secret)
    assert "smtp_password is a secret" in error
    assert "`workstation key smtp-password`" in error
    assert secret not in error
    assert "`workstation key smtp-password`" in refused(cli_ws, "smtp_password")

    assert audit_trail(cli_ws) == trail
    assert secret.encode() not in workspace_bytes(cli_ws)
    with Workspace.open(cli_ws) as ws, pytest.raises(InvalidSetting, match="smtp-password"):
        ws.set_setting("smtp_password", secret)
    assert secret.encode() not in workspace_bytes(cli_ws)
    assert audit_trail(cli_ws) == trail


@pytest.mark.parametrize("value", ["65", "-1", "two", "1.5"])
def test_an_out_of_range_ocr_jobs_is_refused(cli_ws: Path, value: str) -> None:
    trail = audit_trail(cli_ws)
    error = refused(cli_ws, "ocr_jobs", value)
    assert "ocr_jobs" in error and "from 0 to 64" in error
    assert audit_trail(cli_ws) == trail
    assert run_cli("config", "ocr_jobs", workspace=cli_ws, check=True).stdout == "0\n"

    assert run_cli("config", "ocr_jobs", " 64 ", workspace=cli_ws,
                   check=True).stdout == "ocr_jobs = 64\n"
    assert audit_trail(cli_ws)[-1]["details"] == {"key": "ocr_jobs", "old": None, "new": "64"}


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("smtp_security", "tls", "smtp_security must be starttls or ssl, not 'tls'"),
    ("smtp_port", "70000", "The SMTP port must be a number from 1 to 65535"),
    ("max_pixels", "10", "max_pixels must be a number from 1000 to 1000000000"),
    ("pack_ref_prefix", "NCA AP", "pack_ref_prefix 'NCA AP' must be 1 to 20 letters"),
    ("contact_24x7_email", "desk", "'desk' is not an e-mail address"),
    ("region_hints", "GB,XX", "Unknown phone region hint XX"),
])
def test_wrongly_typed_values_are_refused_with_a_sentence(
        cli_ws: Path, key: str, value: str, expected: str) -> None:
    trail = audit_trail(cli_ws)
    assert expected in refused(cli_ws, key, value)
    assert audit_trail(cli_ws) == trail


# ------------------------------------------------------------------- listing
def test_config_lists_every_setting_with_value_default_and_help(cli_ws: Path) -> None:
    rows = listed(cli_ws)
    assert [r["key"] for r in rows] == list(SETTINGS)
    by_key = {r["key"]: r for r in rows}
    for key, setting in SETTINGS.items():
        row = by_key[key]
        assert row["default"] == setting.default and row["help"] == setting.help
        assert row["group"] == setting.group and row["secret"] == setting.secret
    assert by_key["analyst"] == {**by_key["analyst"], "value": "Jane Smith", "set": True}
    assert by_key["ocr_jobs"]["value"] == "0" and by_key["ocr_jobs"]["set"] is False
    assert by_key["ocr_jobs"]["allowed"] == "0-64"
    assert by_key["smtp_password"]["value"] is None

    text = run_cli("config", workspace=cli_ws, check=True).stdout
    for key, setting in SETTINGS.items():
        assert re.search(rf"^{key}( = |: )", text, re.MULTILINE), key
        assert setting.help in text
    assert "analyst = Jane Smith  (default: not set)" in text
    assert "[Alert packs]" in text and "(analyst in effect: Jane Smith)" in text

    one = json.loads(run_cli("config", "smtp_security", "--json", workspace=cli_ws,
                             check=True).stdout)
    assert one == by_key["smtp_security"] and one["value"] == "starttls"


# ------------------------------------------------------------------ reading
def test_unset_settings_read_as_the_tables_defaults(ws: Workspace) -> None:
    assert ws.setting("ocr_jobs") is None
    assert get_int(ws, "ocr_jobs") == 0
    assert get_int(ws, "max_pixels") == int(SETTINGS["max_pixels"].default) == 100_000_000
    assert get_int(ws, "max_file_mb") == 512
    assert get_text(ws, "ocr_languages") == "auto" == ws.reading.ocr_languages()
    assert get_list(ws, "region_hints") == ws.reading.region_hints
    assert ws.reading.region_hints == tuple(SETTINGS["region_hints"].default.split(","))
    assert get_text(ws, "agency_name") == SETTINGS["agency_name"].default
    assert get_optional_int(ws, "smtp_port") is None
    assert get_text(ws, "smtp_security") == "starttls"

    assert ws.set_setting("region_hints", "gb; fr  iq") == "GB,FR,IQ"
    assert ws.reading.region_hints == ("GB", "FR", "IQ")
    assert ws.set_setting("ocr_jobs", "") == "0"  # empty: back to the default
    assert ws.set_setting("smtp_port", " 2525 ") == "2525"
    assert get_optional_int(ws, "smtp_port") == 2525


def test_an_old_workspaces_invalid_values_read_as_the_defaults(cli_ws: Path) -> None:
    """Values stored before the table existed, unchecked, do not crash anything."""
    conn = sqlite3.connect(cli_ws / "workspace.db")
    with conn:
        conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         [("ocr_jobs", "lots"), ("smtp_security", "tls"),
                          ("max_pixels", "-5"), ("region_hints", "GB,XX"),
                          ("foo", "bar")])
    conn.close()

    with Workspace.open(cli_ws) as ws:
        assert ws.setting("ocr_jobs") is None
        assert get_int(ws, "ocr_jobs") == 0
        assert get_text(ws, "smtp_security") == "starttls"
        assert get_int(ws, "max_pixels") == 100_000_000
        assert ws.reading.region_hints == tuple(SETTINGS["region_hints"].default.split(","))
    assert run_cli("config", "ocr_jobs", workspace=cli_ws, check=True).stdout == "0\n"
    rows = {r["key"]: r for r in listed(cli_ws)}
    assert rows["smtp_security"]["value"] == "starttls" and "foo" not in rows


def test_check_normalizes_as_it_will_be_stored() -> None:
    assert check("analyst", "  Dana   Smith ") == "Dana Smith"
    assert check("smtp_security", "SSL") == "ssl"
    assert check("ocr_jobs", "007") == "7"
    assert check("report_preview", "") == "thumbnail"
    assert check("smtp_host", "") == ""
    with pytest.raises(InvalidSetting, match="must not be empty"):
        check("analyst", "   ")


# ---------------------------------------------------------- the code's keys
_SETTINGS_FUNCTIONS = {"check", "read", "lookup", "get_text", "get_int", "get_optional_int",
                       "get_list", "describe"}


def _keys_used(tree: ast.Module) -> tuple[set[str], set[str]]:
    """String literals passed as a setting key in one module: whole keys, and the literal
    starts of f-string keys (``f"deadline_hours_{priority}"``)."""
    local = {alias.asname or alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "workstation.settings"
             for alias in node.names if alias.name in _SETTINGS_FUNCTIONS}
    keys: set[str] = set()
    prefixes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id == "SETTINGS" and isinstance(node.slice, ast.Constant):
            keys.add(str(node.slice.value))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not (name in ("setting", "set_setting", "pack_setting", "int_pack_setting")
                or (isinstance(func, ast.Name) and name in local)):
            continue
        for arg in node.args[:2]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
                break
            if isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                prefixes.add(str(arg.values[0].value))
                break
    return keys, prefixes


def test_every_setting_key_the_code_uses_is_declared_in_the_table() -> None:
    keys: set[str] = set()
    prefixes: set[str] = set()
    for folder in ("workstation", "cli", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found, starts = _keys_used(ast.parse(path.read_text(), str(path)))
            keys |= {k for k in found if re.fullmatch(r"[a-z][a-z0-9_]*", k)}
            prefixes |= starts
    assert len(keys) >= 20  # the scan sees the code's settings
    assert sorted(keys - set(SETTINGS)) == []
    for start in prefixes:
        assert any(key.startswith(start) for key in SETTINGS), start
    assert {f"deadline_hours_{p}" for p in PRIORITIES} <= set(SETTINGS)


def test_the_table_is_well_formed() -> None:
    for key, setting in SETTINGS.items():
        assert setting.key == key and setting.help and "\n" not in setting.help
        assert setting.type in ("str", "int", "choice", "list", "secret")
        if setting.type == "int":
            assert setting.minimum is not None and setting.maximum is not None
            assert setting.default == "" or (setting.minimum <= int(setting.default)
                                             <= setting.maximum)
        if setting.type == "choice":
            assert setting.default in setting.choices
        if not setting.secret and not setting.required:
            assert check(key, setting.default) == setting.default
    assert [k for k, s in SETTINGS.items() if s.secret] == ["smtp_password"]
