"""Greet people, from Python and (with the same package.json version) from Node."""

__version__ = "0.1.0"


def greet(name: str) -> str:
    """Return a friendly greeting for `name`."""
    return f"Hello, {name}!"
