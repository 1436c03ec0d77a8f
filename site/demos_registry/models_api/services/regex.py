"""Regular-expression search over model names and tags, bounded before it reaches the search engine.

The search engine compiles a ``regexp`` query into an automaton whose size can grow
exponentially with nested or large repetitions (``(a+)+``, ``(.*){500}``), and one such query
can occupy a search node. So a pattern is checked here first, in linear time over at most
``MAX_LENGTH`` characters: no repetition of a repetition, bounded counts and numbers of
operators, none of Lucene's optional operators (complement, intersection, intervals, any
string); the query then also caps the automaton (``max_determinized_states``).
Patterns use Lucene's syntax and match a whole name or tag, regardless of case.
"""

from invenio_search.engine import dsl
from marshmallow import ValidationError

MAX_LENGTH = 100
MAX_REPEAT = 20
"""Largest count of a ``{n,m}`` repetition."""
MAX_QUANTIFIERS = 10
MAX_ALTERNATIVES = 10
MAX_DEPTH = 5
MAX_DETERMINIZED_STATES = 2000
"""The search engine's own bound on the automaton (its default is 10,000)."""

REGEX_FIELDS = ("metadata.title.keyword", "custom_fields.demos:tags")
"""The whole title of a model, and each of its tags."""

UNSUPPORTED = {
    "~": "complement (~)",
    "&": "intersection (&)",
    "<": "numeric interval (<n-m>)",
    ">": "numeric interval (<n-m>)",
    "@": "any string (@); use .*",
    "#": "empty language (#)",
}


def _refuse(message):
    raise ValidationError(message)


def _repetition(pattern, position):
    """The end and upper bound (None: unbounded) of the ``{...}`` repetition at ``position``."""
    end = pattern.find("}", position)
    if end == -1:
        _refuse(f"unclosed '{{' at position {position}")
    low, _, high = pattern[position + 1 : end].partition(",")
    if not low.isdigit() or (high and not high.isdigit()):
        _refuse(f"'{{{pattern[position + 1 : end]}}}' is not a repetition count like {{2}} or {{1,5}}")
    has_comma = "," in pattern[position + 1 : end]
    upper = int(high) if high else (None if has_comma else int(low))
    if upper is not None and (upper > MAX_REPEAT or int(low) > upper):
        _refuse(f"repetition counts must be at most {MAX_REPEAT} and in order")
    if upper is None and int(low) > MAX_REPEAT:
        _refuse(f"repetition counts must be at most {MAX_REPEAT}")
    return end, upper


def check_pattern(pattern):
    """Raise ValidationError (its message says what to change) unless the pattern is cheap to run."""
    if not pattern or len(pattern) > MAX_LENGTH:
        _refuse(f"Send 1 to {MAX_LENGTH} characters.")
    quantifiers, alternatives = 0, 0
    groups = [False]  # per open group: whether it holds a repetition
    last_was_group, last_group_repeats = False, False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        atom_is_group = False
        if char == "\\":
            position += 1
            if position == len(pattern):
                _refuse("the pattern ends with an unfinished escape '\\'")
        elif char == "[":
            end = pattern.find("]", position + 2)
            if end == -1:
                _refuse(f"unclosed '[' at position {position}")
            position = end
        elif char == "(":
            if len(groups) > MAX_DEPTH:
                _refuse(f"at most {MAX_DEPTH} nested groups")
            groups.append(False)
        elif char == ")":
            if len(groups) == 1:
                _refuse(f"unbalanced ')' at position {position}")
            last_group_repeats = groups.pop()
            groups[-1] = groups[-1] or last_group_repeats
            atom_is_group = True
        elif char == "|":
            alternatives += 1
        elif char in UNSUPPORTED:
            _refuse(f"the operator {UNSUPPORTED[char]} is not supported; escape it as \\{char} to match it")
        elif char in "*+?{":
            if position == 0 or pattern[position - 1] in "(|":
                _refuse(f"'{char}' at position {position} repeats nothing")
            if pattern[position - 1] in "*+?}" and pattern[position - 2 : position - 1] != "\\":
                _refuse(f"'{char}' at position {position} repeats a repetition")
            bounded_small = False
            if char == "{":
                position, upper = _repetition(pattern, position)
                bounded_small = upper is not None and upper <= 1
            elif char == "?":
                bounded_small = True
            if last_was_group and last_group_repeats and not bounded_small:
                _refuse("a repeated group may not itself contain a repetition, as in (a+)+")
            quantifiers += 1
            groups[-1] = True
        last_was_group = atom_is_group
        position += 1
    if len(groups) > 1:
        _refuse("unbalanced '(': a group is not closed")
    if quantifiers > MAX_QUANTIFIERS or alternatives > MAX_ALTERNATIVES:
        _refuse(f"at most {MAX_QUANTIFIERS} repetitions and {MAX_ALTERNATIVES} alternatives")


def regex_filter(pattern):
    """Models whose title or one of whose tags matches the (checked) pattern, regardless of case."""
    options = {"value": pattern, "case_insensitive": True, "max_determinized_states": MAX_DETERMINIZED_STATES}
    return dsl.Q(
        "bool",
        should=[dsl.Q("regexp", **{field: options}) for field in REGEX_FIELDS],
        minimum_should_match=1,
    )
