"""User-supplied regular expressions, run on a linear-time engine (RE2) so none can hang a run.

Python's `re` backtracks: a pattern such as ``(a+)+$`` takes exponential time on a long run of
``a`` followed by ``!``, and nothing can interrupt it. Rule files may hold regular expressions in
raw spaCy token patterns (``{"TEXT": {"REGEX": "..."}}``, also on LOWER, NORM and the other
string attributes, inside ``FUZZY`` and on custom ``_`` attributes), which spaCy's Matcher would
run with `re`. This module

* compiles a user regex with RE2 (`compile_regex`), after translating Python's Unicode
  shorthand classes (``\\d``, ``\\w``, ``\\s`` and their negations) to RE2's Unicode classes, so a
  pattern means what it means in Python; a pattern RE2 cannot run in linear time
  (backreferences, lookaround, atomic groups, possessive quantifiers) is a ValueError naming
  the construct;
* rewrites a raw token pattern (`safe_token_pattern`) so that every REGEX predicate becomes a
  boolean Token extension attribute (``{"_": {"cq_re_<hash>": True}}``) whose getter runs
  RE2. spaCy then never sees a regex.

Known differences from Python's `re` (documented in the README): ``\\b`` and ``\\B`` are ASCII
word boundaries, and ``$`` matches only at the very end (not before a final newline).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import re2

__all__ = ["check_token_pattern", "compile_regex", "safe_token_pattern"]

MAX_PATTERN = 10_000  # characters; a rule's regex is a short thing
MAX_MEM = 8 << 20  # bytes RE2 may use for one compiled pattern

# Python `re` (str patterns) -> RE2 Unicode classes. Inside [...] only the positive forms can
# be spliced in; a negated class inside a set has no RE2 equivalent.
_WORD = r"\p{L}\p{N}_"
_SPACE = r"\t-\r\x1c-\x1f\x85\p{Z}"
_OUTSIDE = {"d": r"\p{Nd}", "D": r"\P{Nd}", "w": f"[{_WORD}]", "W": f"[^{_WORD}]",
            "s": f"[{_SPACE}]", "S": f"[^{_SPACE}]", "Z": r"\z"}
_INSIDE = {"d": r"\p{Nd}", "D": r"\P{Nd}", "w": _WORD, "s": _SPACE}

# spaCy token attributes whose matcher value is a string, and the Token property giving it.
_STRING_ATTRS = {
    "ORTH": "orth_", "TEXT": "orth_", "LOWER": "lower_", "NORM": "norm_", "SHAPE": "shape_",
    "LEMMA": "lemma_", "POS": "pos_", "TAG": "tag_", "DEP": "dep_", "ENT_TYPE": "ent_type_",
    "ENT_ID": "ent_id_", "ENT_KB_ID": "ent_kb_id_", "MORPH": "morph", "PREFIX": "prefix_",
    "SUFFIX": "suffix_",
}
_FUZZY = {"FUZZY", *(f"FUZZY{i}" for i in range(1, 10))}
_UNSUPPORTED = [
    ("(?=", "lookahead (?=...)"), ("(?!", "lookahead (?!...)"), ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "lookbehind (?<!...)"), ("(?P=", "backreference (?P=name)"), ("(?>", "atomic group (?>...)"),
    ("(?#", "comment group (?#...)"),
]


def _translate(pattern: str) -> str:
    """Python-`re` syntax -> RE2 syntax with the same Unicode meaning (ValueError when impossible)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = -1
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError("bad escape (end of pattern)")
            nxt = pattern[i + 1]
            if nxt.isdigit() and nxt != "0" and not in_class:
                raise ValueError(f"backreference \\{nxt} is not supported (it needs a backtracking engine)")
            if in_class:
                if nxt in _INSIDE:
                    out.append(_INSIDE[nxt])
                elif nxt in "WS":
                    raise ValueError(f"\\{nxt} inside [...] is not supported; write a negated set [^...] instead")
                else:
                    out.append(ch + nxt)
            elif nxt in _OUTSIDE:
                out.append(_OUTSIDE[nxt])
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            # "]" right after "[" or "[^" is a literal in Python's syntax
            if ch == "]" and i > class_start:
                in_class = False
            elif ch == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            class_start = i
            continue
        for prefix, what in _UNSUPPORTED:
            if pattern.startswith(prefix, i):
                raise ValueError(f"{what} is not supported (it needs a backtracking engine)")
        if ch in "+*?}" and i + 1 < n and pattern[i + 1] == "+":
            raise ValueError("possessive quantifiers (*+, ++, ?+) are not supported")
        out.append(ch)
        i += 1
    return "".join(out)


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEM
    return options


@lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> Any:
    """Compile a user regex (Python syntax) for RE2: linear time in the text, whatever the pattern.

    Raises ValueError with a one-line reason for a pattern that is invalid or that needs
    backtracking (backreferences, lookaround).
    """
    if not isinstance(pattern, str):
        raise ValueError(f"a regular expression must be a string, got {type(pattern).__name__}")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"regular expression is too long ({len(pattern)} characters, at most {MAX_PATTERN})")
    source = _translate(pattern)
    try:
        return re2.compile(source, _re2_options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"invalid or unsupported regular expression {pattern!r}: {reason} "
                         "(chatqa runs rule regexes on RE2, a linear-time engine)") from None


def _key(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:16]


def _register(name: str, getter: Any) -> None:
    from spacy.tokens import Token

    if not Token.has_extension(name):
        Token.set_extension(name, getter=getter)


def _attr_getter(attr: str, extension: bool) -> Any:
    if extension:
        def value(token: Any) -> Any:
            return token._.get(attr)
        return value
    prop = _STRING_ATTRS[attr]
    if prop == "morph":
        return lambda token: str(token.morph)
    return lambda token: getattr(token, prop)


def _condition(attr: str, extension: bool, mode: str, regexes: list[str]) -> str:
    """Register the getter for `mode` ("any": some regex matches; "none": no regex matches) and
    return its extension name."""
    compiled = [compile_regex(r) for r in regexes]
    name = f"cq_re_{_key(attr, extension, mode, tuple(regexes))}"
    read = _attr_getter(attr, extension)

    def getter(token: Any) -> bool:
        value = read(token)
        if not isinstance(value, str):
            return mode != "any"
        hit = any(rx.search(value) is not None for rx in compiled)
        return hit if mode == "any" else not hit

    _register(name, getter)
    return name


def _regex_value(value: Any, where: str) -> list[tuple[str, list[str]]]:
    """The conditions of a REGEX predicate's value: a string, or {IN|NOT_IN|REGEX: ...}."""
    if isinstance(value, str):
        return [("any", [value])]
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a string or a mapping, got {type(value).__name__}")
    found: list[tuple[str, list[str]]] = []
    for op, inner in value.items():
        key = str(op).upper()
        if key in ("IN", "NOT_IN"):
            if not isinstance(inner, list) or not all(isinstance(x, str) for x in inner):
                raise ValueError(f"{where}.{op}: expected a list of regular expressions")
            found.append(("any" if key == "IN" else "none", list(inner)))
        elif key == "REGEX":
            found += _regex_value(inner, f"{where}.{op}")
        else:
            raise ValueError(f"{where}.{op}: not supported with REGEX (use IN or NOT_IN)")
    return found


def _split_predicates(attr: str, value: dict[str, Any], where: str
                      ) -> tuple[dict[str, Any], list[tuple[str, list[str]]]]:
    """(the predicates without their regexes, the regex conditions) of one attribute's value."""
    rest: dict[str, Any] = {}
    conditions: list[tuple[str, list[str]]] = []
    for op, inner in value.items():
        key = str(op).upper()
        if key == "REGEX":
            conditions += _regex_value(inner, f"{where}.{op}")
        elif key in _FUZZY and isinstance(inner, dict) and any(str(k).upper() == "REGEX" for k in inner):
            # spaCy runs a REGEX nested in FUZZY as a plain regex
            kept, more = _split_predicates(attr, inner, f"{where}.{op}")
            conditions += more
            if kept:
                rest[op] = kept
        else:
            rest[op] = inner
    return rest, conditions


def _rewrite(pattern: Any, register: bool) -> list[dict[str, Any]]:
    if not isinstance(pattern, list):
        raise ValueError(f"a token pattern must be a list of token dicts, got {type(pattern).__name__}")
    out: list[dict[str, Any]] = []
    for i, token in enumerate(pattern):
        if not isinstance(token, dict):
            raise ValueError(f"[{i}]: a token must be a mapping, got {type(token).__name__}")
        new: dict[str, Any] = {}
        flags: dict[str, bool] = {}
        underscore: dict[str, Any] = {}
        for attr, value in token.items():
            if attr == "_":
                if not isinstance(value, dict):
                    new[attr] = value
                    continue
                for ext, ext_value in value.items():
                    if isinstance(ext_value, dict):
                        kept, conditions = _split_predicates(ext, ext_value, f"[{i}]._.{ext}")
                        for mode, regexes in conditions:
                            name = _check(regexes, f"[{i}]._.{ext}")
                            flags[_condition(ext, True, mode, regexes) if register else name] = True
                        if kept:
                            underscore[ext] = kept
                    else:
                        underscore[ext] = ext_value
                continue
            if isinstance(value, dict):
                upper = str(attr).upper()
                kept, conditions = _split_predicates(upper, value, f"[{i}].{attr}")
                if conditions and upper not in _STRING_ATTRS:
                    raise ValueError(f"[{i}].{attr}.REGEX: REGEX works on text attributes only "
                                     f"({', '.join(sorted(_STRING_ATTRS))})")
                for mode, regexes in conditions:
                    name = _check(regexes, f"[{i}].{attr}")
                    flags[_condition(upper, False, mode, regexes) if register else name] = True
                if kept:
                    new[attr] = kept
                continue
            new[attr] = value
        if underscore or flags:
            new["_"] = {**underscore, **flags}
        out.append(new)
    return out


def _check(regexes: list[str], where: str) -> str:
    for regex in regexes:
        try:
            compile_regex(regex)
        except ValueError as exc:
            raise ValueError(f"{where}.REGEX: {exc}") from None
    return f"cq_re_{_key(where, tuple(regexes))}"


def check_token_pattern(pattern: list[dict[str, Any]]) -> None:
    """Raise ValueError (``[2].TEXT.REGEX: reason``) when a raw token pattern holds a regex
    that RE2 cannot run; for rule-file validation (nothing is registered)."""
    _rewrite(pattern, register=False)


def safe_token_pattern(pattern: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of a raw spaCy token pattern in which no predicate runs Python's `re`.

    Each REGEX predicate (on a text attribute, nested in FUZZY, in a ``REGEX: {IN: [...]}``
    list, or on a custom ``_`` attribute) becomes ``{"_": {"cq_re_<hash>": True}}``: a Token
    extension whose getter runs the regex on RE2 (linear time). Other predicates are kept.
    Raises ValueError naming the place for a regex RE2 cannot compile.
    """
    return _rewrite(pattern, register=True)
