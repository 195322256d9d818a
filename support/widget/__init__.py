"""The widget pages."""
