"""The core of the audit of one Python file: its scopes, and what a name or an expression is
as a literal string, so every rule family judges values the same way.

`PythonVisitor` is the base the rule families (network, patches, auth state, hard-coded
secrets) extend; `authprobe.audit.python` joins them into the one visitor that walks a file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from authprobe.audit.credentials import SENTINEL, secret_literal
from authprobe.audit.findings import CREDENTIAL, WHY_CREDENTIAL, AuditFinding
from authprobe.audit.suite import Suite, import_bindings, module_names
from authprobe.audit.syntax import string, target_names


@dataclass
class Scope:
    """The parameters of a function and the expressions each of its names is bound to."""

    params: set[str]
    assigned: dict[str, list[ast.expr | None]]


def scope_of(node: ast.AST, params: Iterable[str]) -> Scope:
    assigned: dict[str, list[ast.expr | None]] = {}
    body = node.body if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) else []
    walker: Iterable[ast.AST] = (
        [n for stmt in body for n in ast.walk(stmt)]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        else body
    )
    for child in walker:
        if isinstance(child, ast.Assign):
            for target in child.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(
                        child.value if len(child.targets) == 1 else None
                    )
                else:
                    for name in target_names(target):
                        if isinstance(target, ast.Tuple | ast.List):
                            assigned.setdefault(name, []).append(None)
        elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            assigned.setdefault(child.target.id, []).append(child.value)
        else:
            for bound in rebound(child):
                for sub in ast.walk(bound):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        assigned.setdefault(sub.id, []).extend([None, None])
    return Scope(set(params), assigned)


def rebound(node: ast.AST) -> list[ast.AST]:
    """Targets a statement binds other than by a plain assignment (loops, with, :=, +=)."""
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return [node.target]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.NamedExpr | ast.AugAssign):
        return [node.target]
    return []


def params_of(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.arg]:
    a = node.args
    return [*a.posonlyargs, *a.args, *a.kwonlyargs, *([a.vararg] if a.vararg else []),
            *([a.kwarg] if a.kwarg else [])]  # fmt: skip


class PythonVisitor(ast.NodeVisitor):
    """Walks one file of the suite with its scopes; the rule families add the checks."""

    def __init__(self, path: Path, shown: str, tree: ast.Module, suite: Suite) -> None:
        self.path = path
        self.shown = shown
        self.suite = suite
        self.tree = tree
        self.findings: list[tuple[AuditFinding, int]] = []  # with the node's last line
        self.secrets: set[str] = set()
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
        self.imports = import_bindings(tree, module_names(suite.root, path), path)
        self.defined = {
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        self.scopes: list[Scope] = [scope_of(tree, [])]

    # -- reporting

    def add(self, node: ast.AST, kind: str, what: str, why: str, secret: str | None = None) -> None:
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line
        self.findings.append((AuditFinding(self.shown, line, what, why, kind), end))
        if secret:
            self.secrets.add(secret)

    def add_literal(self, literal: ast.Constant | ast.JoinedStr, what: str) -> None:
        self.add(literal, CREDENTIAL, what, WHY_CREDENTIAL, secret=string(literal))

    # -- scopes and values

    def enter(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, params: list[ast.arg]
    ) -> None:
        """Visit a function's body in its own scope."""
        if isinstance(node, ast.Lambda):
            self.scopes.append(Scope({a.arg for a in params}, {}))
        else:
            self.scopes.append(scope_of(node, (a.arg for a in params)))
        self.generic_visit(node)
        self.scopes.pop()

    def resolve(self, name: str) -> ast.expr | None:
        """The one expression `name` is bound to in the nearest scope that binds it."""
        for scope in reversed(self.scopes):
            if name in scope.params:
                return None
            if name in scope.assigned:
                values = scope.assigned[name]
                return values[0] if len(values) == 1 else None
        return None

    def literal(self, node: ast.AST | None, follow: bool = True) -> ast.Constant | ast.JoinedStr | None:
        """The string literal `node` is, or (following a name bound once) comes from."""
        for _ in range(4):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node if secret_literal(node.value) else None
            if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
                return node if secret_literal(string(node)) else None
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                text = self.text(node)  # "Basic " + "cWE6..." is one literal
                if SENTINEL in text or not secret_literal(text):
                    return None
                return ast.copy_location(ast.Constant(value=text), node)
            if not (follow and isinstance(node, ast.Name)):
                return None
            node = self.resolve(node.id)
        return None

    def text(self, node: ast.AST | None, depth: int = 0) -> str:
        """The string `node` builds, with a sentinel for every part known only at run time."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else SENTINEL
                for v in node.values
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and depth < 6:
            return self.text(node.left, depth + 1) + self.text(node.right, depth + 1)
        if isinstance(node, ast.Name) and depth < 6:
            value = self.resolve(node.id)
            if value is not None:
                return self.text(value, depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and depth < 6
        ):
            return re.sub(r"\{[^{}]*\}", SENTINEL, self.text(node.func.value, depth + 1))
        return SENTINEL
