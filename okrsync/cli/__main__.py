"""``python -m okrsync.cli``: the same as the ``okrsync`` console script."""

from okrsync.cli.app import main

main()
