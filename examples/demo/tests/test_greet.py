"""Tests for demo_greeter.greet (standard library only, so the demo needs nothing installed)."""

import unittest

from demo_greeter import greet


class GreetTest(unittest.TestCase):
    def test_greet(self) -> None:
        self.assertEqual(greet("world"), "Hello, world!")


if __name__ == "__main__":
    unittest.main()
