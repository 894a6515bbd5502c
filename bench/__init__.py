"""The stafet benchmark suite (see README.md); run it with ``python -m bench.run``."""
