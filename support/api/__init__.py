"""HTTP APIs: ``widget`` (``/api/widget``) for the widget, ``v1`` (``/api/v1``) for agents, bots
and scripts, and ``health`` (``/healthz``). Each module holds its own blueprint ``bp``."""
