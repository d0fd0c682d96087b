"""`python -m release`: the same entry point as the `release` console script."""

from release.cli import main

raise SystemExit(main())
