"""Every rule of the app's URL map as URLs with plausible values, for tests that walk all
routes (so that a new route cannot escape them)."""

import itertools

from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter, PathConverter

# Methods a test sends on purpose; HEAD and OPTIONS are answered for every rule too.
METHOD_ORDER = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")


def rule_urls(rule: Rule, values: dict | None = None) -> list[str]:
    """Every URL of the rule: each choice of an any() part, the given value where there is one,
    otherwise 1 for a number, a real file for a path and "x" for any other part."""
    values = values or {}
    choices = []
    # A default (e.g. a member's own page without their id) is no part of the path.
    for name in sorted(rule.arguments - set(rule.defaults or {})):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            choices.append([(name, item) for item in sorted(converter.items)])
        elif name in values:
            choices.append([(name, values[name])])
        elif isinstance(converter, IntegerConverter):
            choices.append([(name, 1)])
        elif isinstance(converter, PathConverter):
            choices.append([(name, "panel.css")])
        else:
            choices.append([(name, "x")])
    return [rule.build(dict(combination))[1] for combination in itertools.product(*choices)]


def id_arguments(rule: Rule) -> list[str]:
    """The parts of the rule's path that are numbers (ids)."""
    return [
        name
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
    ]


def rule_methods(rule: Rule) -> list[str]:
    return sorted(rule.methods, key=METHOD_ORDER.index)


def all_rules(app) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
