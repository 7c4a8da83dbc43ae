"""The fake wiki stays outside the product: it runs without Django or the app, and neither the
app nor the site imports it."""

import ast
import json
import subprocess
import sys

from tests.support import ROOT

# Runs `python -m fakewiki --help`, imports every module of the package, then reports what the
# process imported.
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, runpy, sys
import fakewiki
sys.argv = ["python -m fakewiki", "--help"]
try:
    runpy.run_module("fakewiki", run_name="__main__")
except SystemExit as exit:
    assert exit.code == 0, exit.code
for module in pkgutil.walk_packages(fakewiki.__path__, "fakewiki."):
    importlib.import_module(module.name)
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules} | set(sys.modules))))
"""

PRODUCT_PACKAGES = ("checks", "wikicheck_site")


def imported_packages(path: str) -> set[str]:
    """The top-level packages the module at `path` imports, wherever in it the import sits."""
    tree = ast.parse((ROOT / path).read_text(), filename=path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name.partition(".")[0] for name in names}


def test_fakewiki_runs_and_imports_without_django_or_the_app() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert {"fakewiki.server", "fakewiki.api", "fakewiki.faults", "fakewiki.__main__"} <= modules
    assert modules.isdisjoint({"django", *PRODUCT_PACKAGES})


def test_no_module_of_the_app_or_the_site_imports_fakewiki() -> None:
    modules = [
        str(path.relative_to(ROOT))
        for package in PRODUCT_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    ]

    importers = [path for path in modules if "fakewiki" in imported_packages(path)]

    assert len(modules) > 20
    assert importers == []
