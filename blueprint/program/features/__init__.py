"""One module per feature of a stack: its config keys (the only place their defaults and bounds live), the rules
that span them, and the composer that turns them into its component's arguments.

A new key is a field on its feature's settings dataclass; the JSON Schema, the typed config and
docs/configuration.md follow from it (tests fail when the generated files are stale).
"""
