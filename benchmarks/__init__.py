"""corridorsim's performance harness: ``python -m benchmarks`` (see README.md here).

Not a test suite: it measures and reports, it never asserts a timing.
"""
