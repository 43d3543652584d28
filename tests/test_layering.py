"""
The package's layers, read from its source: resources -> flows -> core -> rules, no cycle, and
no module reaching into another one's private names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import amigochat_sdk

PACKAGE = Path(amigochat_sdk.__file__).parent
NAME = "amigochat_sdk"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if path.name != "_generated.py"  # generated: it imports nothing of ours
}


def _trees() -> Iterator[tuple[str, ast.Module]]:
    for name, path in MODULES.items():
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _imports(module: str, tree: ast.Module) -> set[str]:
    """Every module of the package that `module` imports, at run time or for typing alike."""
    is_package = MODULES[module].name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module, tree) for module, tree in _trees()}


def test_no_resource_imports_a_client() -> None:
    resources = [module for module in GRAPH if module.startswith(f"{NAME}._resources.")]
    assert {f"{NAME}._resources.chat", f"{NAME}._resources.images"} <= set(resources)
    for module in resources:
        assert f"{NAME}._client" not in GRAPH[module], module


def test_the_flows_and_the_core_know_no_client_runner_or_resource() -> None:
    upper = {f"{NAME}._client", f"{NAME}._drivers", f"{NAME}._streaming", f"{NAME}._event_stream"}
    upper |= {module for module in GRAPH if module.startswith(f"{NAME}._resources")}
    flows = (
        "_chat_flow",
        "_image_flow",
        "_structured",
        "_tool_runner",
        "_relay",
        "_views",
        "_schema",
    )
    for module in ("_core", "_json", "_retry", "_sse", "_messages", *flows):
        assert not GRAPH[f"{NAME}.{module}"] & upper, module


def test_the_imports_have_no_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join([*path, module])
        if module in done:
            return
        for imported in sorted(GRAPH[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in GRAPH:
        visit(module, ())


def test_no_module_touches_another_ones_private_names() -> None:
    found = []
    for module, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                found += [
                    f"{module}: imports {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and alias.name != "__version__"
                ]
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                    found.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")
