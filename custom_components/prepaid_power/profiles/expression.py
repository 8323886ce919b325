"""Tiny arithmetic/boolean expressions used as data in profiles.

Profiles need a few formulas (Fineco's relay key, identification checks such as
"the high byte equals the slave id"). They are written as Python-like expressions and
evaluated on a whitelisted AST, so a profile can say what it needs without code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
import operator

type Number = int | float | bool

_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.RShift: operator.rshift,
    ast.LShift: operator.lshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: lambda operand: ~int(operand),
    ast.Not: operator.not_,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Number, Number], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(ValueError):
    """The expression uses something outside the whitelist."""


def _check(node: ast.AST, names: frozenset[str]) -> None:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float) or isinstance(node.value, bool):
            raise ExpressionError(f"constant {node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id not in names:
            allowed = ", ".join(sorted(names))
            raise ExpressionError(f"unknown name {node.id!r} (allowed: {allowed})")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"operator {type(node.op).__name__} not allowed")
        _check(node.left, names)
        _check(node.right, names)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ExpressionError(f"operator {type(node.op).__name__} not allowed")
        _check(node.operand, names)
    elif isinstance(node, ast.BoolOp):
        for operand in node.values:
            _check(operand, names)
    elif isinstance(node, ast.Compare):
        _check(node.left, names)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(comparator, ast.Tuple | ast.List):
                    raise ExpressionError("'in' needs a literal tuple, e.g. value in (1, 2)")
                for element in comparator.elts:
                    _check(element, names)
            elif type(op) in _COMPARE:
                _check(comparator, names)
            else:
                raise ExpressionError(f"comparison {type(op).__name__} not allowed")
    else:
        raise ExpressionError(f"{type(node).__name__} not allowed")


def _evaluate(node: ast.AST, values: dict[str, Number]) -> Number:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values), _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values))
    if isinstance(node, ast.BoolOp):
        results = (bool(_evaluate(operand, values)) for operand in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Compare):
        current = _evaluate(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(comparator, ast.Tuple | ast.List)
                members = [_evaluate(element, values) for element in comparator.elts]
                if (current in members) != isinstance(op, ast.In):
                    return False
                continue
            following = _evaluate(comparator, values)
            if not _COMPARE[type(op)](current, following):
                return False
            current = following
        return True
    raise ExpressionError(f"{type(node).__name__} not allowed")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Expression:
    """A validated expression over a fixed set of names."""

    source: str
    names: frozenset[str]
    _tree: ast.Expression = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            tree = ast.parse(self.source.strip(), mode="eval")
        except SyntaxError as err:
            raise ExpressionError(f"syntax error: {err.msg}") from None
        _check(tree.body, self.names)
        object.__setattr__(self, "_tree", tree)

    @property
    def used_names(self) -> frozenset[str]:
        """The names the expression refers to."""
        return frozenset(n.id for n in ast.walk(self._tree) if isinstance(n, ast.Name))

    def evaluate(self, **values: Number) -> Number:
        """Evaluate with the given names; arithmetic errors count as a failed check."""
        missing = self.names - values.keys()
        if missing:
            raise ExpressionError(f"missing values for {', '.join(sorted(missing))}")
        return _evaluate(self._tree.body, values)
