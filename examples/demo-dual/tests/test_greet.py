"""Tests for demo_dual.greet (standard library only, so the example needs nothing installed)."""

import unittest

from demo_dual import greet


class GreetTest(unittest.TestCase):
    def test_greet(self) -> None:
        self.assertEqual(greet("world"), "Hello, world!")


if __name__ == "__main__":
    unittest.main()
