"""Built-in rule types. Importing this package registers them (see ``registry.register``)."""

from pipeline.rules.types import assortment, availability, placement, pricing

__all__ = ["assortment", "availability", "placement", "pricing"]
