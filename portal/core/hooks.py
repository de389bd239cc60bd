"""Hooks: how a lower layer asks something of a higher one without importing it (DESIGN.md section 1).

The lower layer declares a Hook and calls it; a higher layer registers a handler with it when create_app
wires the domains (portal/__init__.py). A hook with no handler does nothing (a portal without that
domain); `call_one` is for a question exactly one handler must answer.
"""
from collections.abc import Callable


class Hook:
    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__doc__ = doc
        self._handlers: list[Callable] = []

    def register(self, handler: Callable) -> Callable:
        """Add `handler` (once, however often its module is imported); usable as a decorator."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def __call__(self, *args, **kwargs) -> list:
        """Call every handler in registration order; their results, in that order."""
        return [handler(*args, **kwargs) for handler in self._handlers]

    def call_one(self, *args, **kwargs):
        if len(self._handlers) != 1:
            raise RuntimeError(f"hook {self.name} needs exactly one handler, has {len(self._handlers)}")
        return self._handlers[0](*args, **kwargs)
