"""Every compiled kernel (sim/compiled.py) reads, of its module's globals, only other kernels, modules
and constants assigned in its own source file: numba freezes a kernel's globals into the cached
machine code and its cache watches only that file, so a value imported from elsewhere (the actions
table, a country's index) would go stale in the cache when its own module changed. For the same
reason a kernel calls only kernels of its own file: a kernel compiled from another file is linked
into the caller's cache, which would keep the old code after that file changed."""

from __future__ import annotations

import ast
import dis
import importlib
import inspect
import types

import pytest
from numba.core.registry import CPUDispatcher

from tests.conftest import ROOT

#: every module of sim/ that defines a kernel
MODULES = tuple(sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "sim").rglob("*.py")
                       if "\n@kernel\n" in p.read_text()))


BUILTINS = {"range", "len", "float", "int"}


def _constants_of_this_file(module: types.ModuleType) -> set[str]:
    """Names assigned at the top of ``module`` from literals, numpy and each other only (what the
    file's own source fixes): not from anything the module imports."""
    values: dict[str, ast.expr] = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        values[n.id] = node.value
    pure: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, value in values.items():
            reads = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            if name not in pure and reads <= pure | BUILTINS | {"np"}:
                pure.add(name)
                changed = True
    return pure


def _kernels():
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == name:
                yield pytest.param(module, value, id=f"{name}.{attr}")


@pytest.mark.parametrize("module, kernel", list(_kernels()))
def test_a_kernel_reads_no_global_imported_from_another_module(module, kernel):
    own = _constants_of_this_file(module)
    read = {i.argval for i in dis.get_instructions(kernel.py_func) if i.opname == "LOAD_GLOBAL"}
    for name in read - BUILTINS - {"min", "max", "abs"}:
        value = vars(module)[name]
        assert isinstance(value, CPUDispatcher | types.ModuleType) or name in own, (
            f"{kernel.py_func.__name__} reads {name}, not a constant of {module.__name__}'s own source: "
            "pass it as an argument")
        if isinstance(value, CPUDispatcher):
            assert value.py_func.__module__ == module.__name__, (
                f"{kernel.py_func.__name__} calls {name} of {value.py_func.__module__}: its cache would "
                "not see that file change; keep kernels that call each other in one file")


def test_the_kernels_are_found():
    assert {"sim.philox", "sim.decision", "sim.effects", "sim.agents.vietnam"} <= set(MODULES)
    assert {p.values[0].__name__ for p in _kernels()} == set(MODULES)
