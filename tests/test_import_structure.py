"""The import structure docs/design.md draws: each layer imports only the layers below it (utils and ops nothing of
ours, standalone only utils, host the standalone engine, models / datasets the host, engines those), no module takes
part in an import cycle, the package imports nothing from tools/, and the demo imports no study."""

import ast
import os

from tests.helpers.common import ROOT

ALLOWED = {  # layer -> the layers of ours it may import
    "utils": set(),
    "ops": set(),
    "standalone": {"utils"},
    "host": {"standalone", "utils"},
    "models": {"host", "ops", "utils"},
    "datasets": {"host", "utils"},
    "engines": {"host", "models", "datasets", "ops", "utils"},
}


def module_files(package: str) -> dict[str, str]:
    """Dotted module name -> file, for every python file under `package` (relative to the repository root)."""
    found = {}
    for folder, _, files in os.walk(os.path.join(ROOT, package)):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, ROOT)[: -len(".py")].replace(os.sep, ".")
                found[module.removesuffix(".__init__")] = path
    return found


def imported_modules(module: str, path: str, known: set[str]) -> set[str]:
    """The modules `module` imports anywhere in its file (inside functions too), as dotted names; `from a import b`
    counts as `a.b` where that is a module, else as `a`."""
    package = module if path.endswith("__init__.py") else module.rsplit(".", 1)[0]
    targets = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return targets


def import_graph(package: str) -> dict[str, set[str]]:
    files = module_files(package)
    return {m: imported_modules(m, p, set(files)) & set(files) for m, p in files.items()}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "package"


def test_every_layer_imports_only_the_layers_below_it():
    graph = import_graph("pointcept_csp")
    assert {layer(m) for m in graph} - {"package"} == set(ALLOWED), "a new layer: place it in ALLOWED and design.md"
    upward = [
        f"{m} -> {t}"
        for m, targets in graph.items()
        if layer(m) != "package"
        for t in targets
        if layer(t) != layer(m) and layer(t) not in ALLOWED[layer(m)]
    ]
    assert upward == []


def test_no_module_takes_part_in_an_import_cycle():
    graph = import_graph("pointcept_csp")
    graph.update(import_graph("tools"))
    state, cycles = {}, []

    def visit(module, stack):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[module] = "closed"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_package_imports_no_tool_and_the_demo_no_study():
    package = import_graph("pointcept_csp")
    assert [m for m, targets in package.items() if any(t.startswith("tools") for t in targets)] == []
    tools = import_graph("tools")
    reached, frontier = set(), ["tools.demo"]
    while frontier:
        module = frontier.pop()
        if module not in reached:
            reached.add(module)
            frontier.extend(tools.get(module, ()))
    assert "tools.demo" in tools and sorted(m for m in reached if m.startswith("tools.studies")) == []
