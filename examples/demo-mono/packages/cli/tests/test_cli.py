import contextlib
import io
import unittest

from demo_mono_cli import main


class CliTest(unittest.TestCase):
    def test_main_greets(self) -> None:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(main(["Ada"]), 0)
        self.assertEqual(out.getvalue(), "Hello, Ada!\n")


if __name__ == "__main__":
    unittest.main()
