"""Exact arithmetic and unit conversion for the assistant, never the language model.

Arithmetic is parsed with Python's `ast` and evaluated over `fractions.Fraction`,
allowing only numbers, + - * / ** %, unary signs and parentheses, so "0.1 + 0.2"
is exactly 0.3 and nothing else in the text can run. Units are a small table
of exact factors to one base unit per dimension (temperatures add an offset);
`pint` would know more units but not their names in six languages, which is
the hard part here, and it would add a dependency for a table of thirty rows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fractions import Fraction

MAX_EXPONENT = 1000
MAX_DIGITS = 60


class CalcError(ValueError):
    """A calculation that cannot be done; `kind` picks the sentence said about it."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "syntax" | "zero" | "large" | "units"


def evaluate(expression: str) -> Fraction:
    """The exact value of an arithmetic expression, or CalcError."""
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise CalcError("syntax") from exc
    return _value(tree.body)


def _value(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        value = _value(node.operand)
        return value if isinstance(node.op, ast.UAdd) else -value
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Add):
            return _bounded(left + right)
        if isinstance(node.op, ast.Sub):
            return _bounded(left - right)
        if isinstance(node.op, ast.Mult):
            return _bounded(left * right)
        if isinstance(node.op, ast.Div | ast.Mod):
            if right == 0:
                raise CalcError("zero")
            return _bounded(left / right if isinstance(node.op, ast.Div) else left % right)
        if isinstance(node.op, ast.Pow):
            if right.denominator != 1 or abs(right) > MAX_EXPONENT:
                raise CalcError("large" if right.denominator == 1 else "syntax")
            if left == 0 and right < 0:
                raise CalcError("zero")
            return _bounded(left ** int(right))
    raise CalcError("syntax")


def _bounded(value: Fraction) -> Fraction:
    if len(str(abs(value.numerator))) > MAX_DIGITS or len(str(value.denominator)) > MAX_DIGITS:
        raise CalcError("large")
    return value


def format_number(value: Fraction, language: str) -> str:
    """`value` as it is said: whole numbers exactly, others to six significant digits."""
    if value.denominator == 1:
        text = str(value.numerator)
    else:
        text = f"{float(value):.6g}"
        if "e" in text:
            text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if language == "en" else text.replace(".", ",")


@dataclass(frozen=True)
class Unit:
    dimension: str
    factor: Fraction
    """Size of one unit in the dimension's base unit (metre, gram, litre, second, m/s, kelvin)."""
    offset: Fraction = Fraction(0)
    """Added after scaling to reach the base unit (temperatures only)."""


UNITS: dict[str, Unit] = {
    "km": Unit("length", Fraction(1000)),
    "m": Unit("length", Fraction(1)),
    "cm": Unit("length", Fraction(1, 100)),
    "mm": Unit("length", Fraction(1, 1000)),
    "mile": Unit("length", Fraction("1609.344")),
    "yard": Unit("length", Fraction("0.9144")),
    "foot": Unit("length", Fraction("0.3048")),
    "inch": Unit("length", Fraction("0.0254")),
    "kg": Unit("mass", Fraction(1000)),
    "g": Unit("mass", Fraction(1)),
    "mg": Unit("mass", Fraction(1, 1000)),
    "t": Unit("mass", Fraction(1_000_000)),
    "lb": Unit("mass", Fraction("453.59237")),
    "oz": Unit("mass", Fraction("28.349523125")),
    "l": Unit("volume", Fraction(1)),
    "ml": Unit("volume", Fraction(1, 1000)),
    "gallon": Unit("volume", Fraction("3.785411784")),
    "pint": Unit("volume", Fraction("0.473176473")),
    "cup": Unit("volume", Fraction("0.2365882365")),
    "hour": Unit("time", Fraction(3600)),
    "minute": Unit("time", Fraction(60)),
    "second": Unit("time", Fraction(1)),
    "day": Unit("time", Fraction(86400)),
    "kmh": Unit("speed", Fraction(1000, 3600)),
    "mph": Unit("speed", Fraction("1609.344") / 3600),
    "ms": Unit("speed", Fraction(1)),
    "celsius": Unit("temperature", Fraction(1), Fraction("273.15")),
    "fahrenheit": Unit("temperature", Fraction(5, 9), Fraction("273.15") - Fraction(160, 9)),
    "kelvin": Unit("temperature", Fraction(1)),
}


def convert(amount: Fraction, source: str, target: str) -> Fraction:
    """`amount` of unit `source` in unit `target` (keys of UNITS), exactly."""
    a, b = UNITS[source], UNITS[target]
    if a.dimension != b.dimension:
        raise CalcError("units")
    base = amount * a.factor + a.offset
    return (base - b.offset) / b.factor
