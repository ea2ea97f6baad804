"""CLI command groups. Each module has ``register(app)``; keep imports inside command bodies."""
