"""Tests for demo_greeter.greet."""

from demo_greeter import greet


def test_greet() -> None:
    assert greet("world") == "Hello, world!"
