"""The architecture contracts: the pure core stays pure, the domain never sees the web layer."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "ledger"
CORE = LEDGER / "core"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

WEB = {"flask", "werkzeug", "flask_smorest"}
PERSISTENCE = {"sqlalchemy", "alembic"}


# --- import-linter -----------------------------------------------------------------------------
def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), f"lint-imports not found next to {sys.executable}"
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def importlinter_config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]  # type: ignore[no-any-return]


def test_every_root_package_of_the_contracts_is_a_regular_package() -> None:
    """An empty directory (a namespace package) makes lint-imports stop with "Module ... does
    not exist" before it checks any contract."""
    roots = importlinter_config()["root_packages"]
    assert isinstance(roots, list)
    assert {"ledger", "api", "reports"} <= set(roots)
    missing = [name for name in roots if not (ROOT / name / "__init__.py").is_file()]
    assert missing == []


def test_import_linter_contracts_are_kept() -> None:
    contracts = importlinter_config()["contracts"]
    assert isinstance(contracts, list)
    assert len(contracts) >= 3
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout
    lines = [line.strip() for line in result.stdout.splitlines()]
    for contract in contracts:
        name = str(contract["name"])
        assert any(line.startswith(name) and line.endswith("KEPT") for line in lines), name


# --- a direct look at the import statements ---------------------------------------------------
def imported_modules(source: str) -> set[str]:
    """Absolute module names a source file imports (statically or via importlib)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in {"import_module", "__import__"} and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.add(first.value)
    return found


def top_levels(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path.read_text(encoding="utf-8"))}


def offenders(folder: Path, forbidden: set[str]) -> dict[str, set[str]]:
    files = sorted(folder.rglob("*.py"))
    assert files, f"no Python files under {folder}"
    bad = {str(p.relative_to(ROOT)): top_levels(p) & forbidden for p in files}
    return {path: names for path, names in bad.items() if names}


def test_no_module_under_ledger_imports_the_web_layer() -> None:
    assert offenders(LEDGER, WEB | {"api", "reports"}) == {}


def test_no_module_under_ledger_core_imports_persistence() -> None:
    assert offenders(CORE, PERSISTENCE | {"psycopg", "flask", "werkzeug", "marshmallow"}) == {}


def test_no_module_under_ledger_core_imports_ledger_db() -> None:
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert not (node.level == 0 and module.startswith("ledger.db")), path
                assert not (node.level >= 2), f"{path} reaches outside ledger.core: {module}"
                assert not (node.level == 1 and module.split(".")[0] == "db"), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("ledger.db", "api", "reports")), path


def test_the_scan_sees_real_imports() -> None:
    """Guards the guard: the scanner finds what the db layer does import."""
    assert (CORE / "money.py").is_file()
    assert {"moneyed", "re", "decimal"} <= top_levels(CORE / "money.py")
    assert "sqlalchemy" in top_levels(LEDGER / "db" / "models.py")
    assert offenders(LEDGER / "db", PERSISTENCE)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import flask", {"flask"}),
        ("import flask.json as j", {"flask.json"}),
        ("from flask import Flask", {"flask"}),
        ("from sqlalchemy.orm import Session", {"sqlalchemy.orm"}),
        ("def f():\n    import sqlalchemy\n", {"sqlalchemy"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from flask import g\n",
         {"typing", "flask"}),
        ("try:\n    import werkzeug\nexcept ImportError:\n    pass\n", {"werkzeug"}),
        ("import importlib\nimportlib.import_module('sqlalchemy')", {"importlib", "sqlalchemy"}),
        ("__import__('flask')", {"flask"}),
        ("from . import money", set()),
        ("from .flask import x", set()),
        ("import flasky", {"flasky"}),
    ],
)
def test_the_scanner(source: str, expected: set[str]) -> None:
    assert imported_modules(source) == expected
