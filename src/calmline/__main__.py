"""``python -m calmline``: the same as the ``calmline`` command."""

from calmline.cli import main

main()
