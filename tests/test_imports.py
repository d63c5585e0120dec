"""Package boundaries, checked on the source: the shared core imports no service package, no
service imports another, and each package imports only the distributions its extra installs.

Imports are read from the AST of every module, including ``importlib.import_module("...")``
and any string constant that names a module of a package it must not reach (a table of
module paths handed to ``import_module`` later is an import all the same).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("edge_agent", "ingest_service", "carbon_engine", "simulators")
LOCAL = ("iiot_core", "zcf", *SERVICES)
# What each package may import of the others: the core nothing, a service the core, zcf all.
MAY_IMPORT: dict[str, set[str]] = {"iiot_core": set(), **{s: {"iiot_core"} for s in SERVICES}}
# The extras whose distributions each package imports at module level ...
EXTRAS: dict[str, tuple[str, ...]] = {
    "iiot_core": (),
    "edge_agent": ("edge",),
    "ingest_service": ("ingest",),
    "carbon_engine": ("engine",),
    "simulators": ("sim",),
    "zcf": (),
}
# ... and inside a function only, imported when the one feature that needs them is used.
LATE_EXTRAS: dict[str, tuple[str, ...]] = {
    "iiot_core": ("ingest",),  # influxdb-client, by the InfluxDB v2 writer
    "zcf": ("demo",),  # amqtt, by the embedded broker of `zcf demo`
}
IMPORT_CALLS = {"import_module", "__import__", "find_spec"}


@dataclass(frozen=True)
class Import:
    module: str
    file: Path
    line: int
    late: bool  # inside a function body

    def __str__(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}: {self.module}"


def _names_a_local_module(text: str) -> bool:
    """Whether ``text`` is the dotted name of a module of this repository, like ``"simulators.cli"``.

    A bare ``"zcf"`` is more often a product name (in a certificate, a client id) than an import.
    """
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", text) or text.split(".")[0] not in LOCAL:
        return False
    path = ROOT.joinpath(*text.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def _imported(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        yield node.module
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        arg = node.args[0] if node.args else None
        if name in IMPORT_CALLS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield arg.value
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_a_local_module(node.value):
        yield node.value


def _walk(node: ast.AST, late: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, late
        yield from _walk(child, late or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))


def imports_of(package: str) -> list[Import]:
    found = []
    for file in sorted((ROOT / package).rglob("*.py")):
        for node, late in _walk(ast.parse(file.read_text(), str(file)), late=False):
            found += [Import(m, file, getattr(node, "lineno", 0), late) for m in _imported(node)]
    return found


def _requirement(spec: str) -> tuple[str, list[str]]:
    """The normalised distribution name of a requirement and the extras it asks for."""
    match = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?", spec)
    assert match, f"pyproject.toml: unreadable requirement {spec!r}"
    name, extras = match.groups()
    return _normalise(name), [e.strip() for e in (extras or "").split(",") if e.strip()]


def requirement_names(extras: tuple[str, ...]) -> set[str]:
    """The distributions of the base dependencies plus ``extras``, references to ``zcf[...]`` followed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_requirement(spec)[0] for spec in project["dependencies"]}
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for name, inner in map(_requirement, project["optional-dependencies"][extra]):
            if name == "zcf":
                todo += inner
            else:
                names.add(name)
    return names


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_checker_sees_every_kind_of_import() -> None:
    tree = ast.parse(
        "import edge_agent.cli\nfrom carbon_engine import engine\n"
        "def f():\n    importlib.import_module('x.y')\n"
        "ROLES = {'sim': 'simulators.cli', 'db': 'zcf.db', 'org': 'zcf', 'msg': 'not a module'}\n"
    )
    found = {(m, late) for node, late in _walk(tree, late=False) for m in _imported(node)}
    assert found == {
        ("edge_agent.cli", False),
        ("carbon_engine", False),
        ("x.y", True),
        ("simulators.cli", False),
    }


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_no_service_it_must_not(package: str) -> None:
    allowed = {package, *MAY_IMPORT[package]}
    local = [i for i in imports_of(package) if i.module.split(".")[0] in LOCAL]
    wrong = [str(i) for i in local if i.module.split(".")[0] not in allowed]
    assert local, f"{package}: no imports of local packages found; is the checker blind?"
    assert not wrong, f"{package} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_requirements_follow_self_references() -> None:
    assert "amqtt" not in requirement_names(("edge",))
    assert {"amqtt", "pymodbus", "fastapi", "influxdb-client"} <= requirement_names(("dev",))


@pytest.mark.parametrize("package", sorted(EXTRAS))
def test_package_imports_only_what_its_extra_installs(package: str) -> None:
    """An edge gateway with ``zcf[edge]`` must never meet an import of fastapi, numpy or amqtt."""
    early = requirement_names(EXTRAS[package])
    late = early | requirement_names(LATE_EXTRAS.get(package, ()))
    providers = importlib.metadata.packages_distributions()
    wrong = []
    for imp in imports_of(package):
        top = imp.module.split(".")[0]
        if top in sys.stdlib_module_names or top in LOCAL:
            continue
        dists = {_normalise(d) for d in providers.get(top, [top])}
        if not dists & (late if imp.late else early):
            wrong.append(f"{imp} (distribution {', '.join(sorted(dists))})")
    extras = ", ".join(EXTRAS[package]) or "none"
    assert not wrong, f"{package} (extras: {extras}) imports what it does not install:\n" + "\n".join(wrong)


# What an edge gateway with `zcf[edge]` lacks (the engine's, the demo's and ingest's extras).
NOT_ON_A_GATEWAY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "numpy",
    # (pydantic_settings is in the base: every role reads its ZCF_* variables through it)
    "amqtt",
    "influxdb_client",
)
EDGE_PROBE = """
import importlib, json, pkgutil, sys
import edge_agent, zcf.check, zcf.cli
for mod in pkgutil.walk_packages(edge_agent.__path__, "edge_agent."):
    importlib.import_module(mod.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_edge_agent_loads_none_of_the_other_extras() -> None:
    # At run time, so that what the libraries of the edge extra import themselves counts too.
    out = subprocess.run(
        [sys.executable, "-c", EDGE_PROBE], capture_output=True, text=True, check=True, timeout=60, cwd=ROOT
    )
    loaded = set(json.loads(out.stdout))
    assert {"edge_agent", "pymodbus", "asyncua"} <= loaded
    assert not loaded & set(NOT_ON_A_GATEWAY)
