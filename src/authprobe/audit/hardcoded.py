"""Hard-coded credentials in Python: by the name that holds them, and by where a literal goes
(a password field's `fill()`, a sign-in call's password argument, an auth header, a URL's
user:password, an environment lookup's fallback, a well-known token's shape).

A literal is reported where it is written, not where it goes, and no message repeats it.
"""

from __future__ import annotations

import ast

from authprobe.audit.credentials import (
    AUTH_CALL,
    PASSWORD_FIELD,
    PATH_OR_URL,
    USERISH,
    header_secret,
    is_credential_name,
    token_shape,
    userinfo_password,
)
from authprobe.audit.findings import CREDENTIAL, WHY_CREDENTIAL
from authprobe.audit.syntax import const_text, string
from authprobe.audit.visitor import PythonVisitor


class CredentialRules(PythonVisitor):
    """Literal credentials by name and by destination."""

    def credential(self, node: ast.AST, name: str, value: ast.AST | None) -> None:
        literal = self.literal(value, follow=False)
        if literal is not None and is_credential_name(name):
            self.add_literal(literal, f"hard-coded credential in `{name}`")

    def defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A literal default of a credential-named parameter."""
        positional = [*node.args.posonlyargs, *node.args.args]
        defaults = [*([None] * (len(positional) - len(node.args.defaults))), *node.args.defaults]
        pairs = [*zip(positional, defaults, strict=True),
                 *zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)]  # fmt: skip
        for arg, default in pairs:
            literal = self.literal(default, follow=False)
            if literal is not None and is_credential_name(arg.arg):
                self.add_literal(literal, f"literal default for `{arg.arg}`")

    def header(self, header: str, value: ast.AST) -> None:
        """A literal value of an auth header (`headers["Authorization"] = "Basic ..."`)."""
        literal = self.literal(value)
        if literal is not None and header_secret(header, string(literal)):
            self.add_literal(literal, f"literal {header} header value")

    def cookie_values(self, cookies: ast.Dict) -> None:
        for value in cookies.values:
            literal = self.literal(value)
            if literal is not None:
                self.add_literal(literal, "literal cookie value")

    def auth_pair(self, pair: ast.Tuple) -> None:
        literal = self.literal(pair.elts[1])
        if literal is not None:
            self.add_literal(literal, "literal password in `auth=(user, password)`")

    def secret_str(self, node: ast.Call) -> None:
        literal = self.literal(node.args[0], follow=False)
        if literal is not None:
            self.add_literal(literal, "SecretStr built from a literal")

    def env_fallback(self, node: ast.Call) -> None:
        """`os.getenv("E2E_PASSWORD", "literal")`."""
        var = const_text(node.args[0])
        literal = self.literal(node.args[1], follow=False)
        if literal is not None and is_credential_name(var):
            self.add_literal(literal, f"literal fallback for ${var}")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            shape = token_shape(node.value)
            if shape:
                self.add_literal(node, f"literal {shape}")
            elif userinfo_password(node.value):
                self.add_literal(node, "literal password in a URL (user:password@host)")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if userinfo_password(self.text(node)):
            self.add(node, CREDENTIAL, "literal password in a URL (user:password@host)",
                     WHY_CREDENTIAL)
        self.generic_visit(node)

    def fill(self, node: ast.Call, owner: ast.expr) -> None:
        """A literal typed into a password-ish field: `locator.fill(x)` or `page.fill(sel, x)`."""
        named = {k.arg: k.value for k in node.keywords}
        described = ast.unparse(owner)
        if isinstance(owner, ast.Name):
            bound = self.resolve(owner.id)
            described += " " + (ast.unparse(bound) if bound is not None else "")
        if len(node.args) >= 2 or (node.args and "value" in named) or "selector" in named:
            selector = node.args[0] if node.args else named.get("selector")
            value = node.args[1] if len(node.args) > 1 else named.get("value") or named.get("text")
            described = self.text(selector) + " " + (ast.unparse(selector) if selector else "")
        else:
            value = node.args[0] if node.args else named.get("value") or named.get("text")
        literal = self.literal(value)
        if literal is not None and PASSWORD_FIELD.search(described):
            self.add_literal(literal, "literal password typed into a password field"
                             + (f" (at line {node.lineno})" if literal.lineno != node.lineno else ""))

    def password_argument(self, node: ast.Call, name: str) -> None:
        """A literal passed where a sign-in-like function takes its password."""
        signatures = self.suite.signatures.get(name, [])
        seen: set[int] = set()
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                break
            literal = self.literal(arg)
            if literal is None or id(literal) in seen:
                continue
            at = f" (passed at line {node.lineno})" if literal.lineno != node.lineno else ""
            for signature in signatures:
                offset = 1 if signature.method and isinstance(node.func, ast.Attribute) else 0
                if index + offset < len(signature.params):
                    param = signature.params[index + offset]
                    if is_credential_name(param):
                        self.add_literal(literal, f"literal `{param}` argument of {name}(){at}")
                        seen.add(id(literal))
                        break
            if signatures or id(literal) in seen or index == 0 or not AUTH_CALL.match(name):
                continue
            previous = node.args[index - 1]
            value = string(literal)
            if ("@" not in value and not PATH_OR_URL.fullmatch(value)) and (
                self.literal(previous) is not None or USERISH.search(ast.unparse(previous))
            ):
                self.add_literal(literal, f"literal password argument of {name}(){at}")
                seen.add(id(literal))
