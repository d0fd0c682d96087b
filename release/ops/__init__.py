"""The only code that touches the outside world: processes, git, registries, files."""
