"""``python -m support`` is the ``support`` command."""

from .cli import main

main()
