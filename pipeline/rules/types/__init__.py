"""Built-in rule types. Importing this package registers them (see ``registry.register``);
:func:`rule_types` is every registered type, built-ins included."""

from pipeline.rules.registry import REGISTRY, Rule
from pipeline.rules.types import assortment, availability, placement, pricing

__all__ = ["assortment", "availability", "placement", "pricing", "rule_types"]


def rule_types() -> dict[str, type[Rule]]:
    """Every registered rule type: the built-ins (registered by importing this package) and
    any a plugin registered."""
    return dict(REGISTRY)
