"""The bottom layer: the database models, sessions, migrations, the clock, and the record of
conversations (``storage.record``). It imports nothing of ``bot``, ``handoff`` or ``faq``; they
build on it (docs/architecture.md)."""
