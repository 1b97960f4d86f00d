"""Policy rules: the registry and every rule family. Importing this package registers them all."""

from sim.rules import powers, vietnam  # noqa: F401  (registration side effect)
from sim.rules.base import RULES, Context, Menu, Rule, RuleParams, get_rule, groups, register

__all__ = ["RULES", "Context", "Menu", "Rule", "RuleParams", "get_rule", "groups", "register"]
