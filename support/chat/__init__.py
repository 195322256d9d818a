"""Socket.IO namespaces: ``/visitor`` for the widget and ``/agent`` for the dashboard and bots."""
