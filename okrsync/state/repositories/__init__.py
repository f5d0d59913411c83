"""The state store's repositories, one per kind of thing it remembers.

:class:`~okrsync.state.store.StateStore` is all of them on one engine.
"""

from okrsync.state.repositories.applied import AppliedWrites
from okrsync.state.repositories.meta import MetaValues
from okrsync.state.repositories.mirror import IssueMirror
from okrsync.state.repositories.progress import ProgressHistory
from okrsync.state.repositories.runs import RunLog

__all__ = ["AppliedWrites", "IssueMirror", "MetaValues", "ProgressHistory", "RunLog"]
