"""The ``okrsync`` command line (faces: all printing lives here); the typer app is :mod:`okrsync.cli.app`."""

from okrsync.cli.app import main

__all__ = ["main"]
