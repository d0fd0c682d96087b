"""Release automation: plan, push, roll back and inspect releases of a project."""

__version__ = "0.1.0"
