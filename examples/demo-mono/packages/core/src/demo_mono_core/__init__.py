"""The greeting core of the monorepo example."""


def greet(name: str) -> str:
    return f"Hello, {name}!"
