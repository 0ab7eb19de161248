"""Benchmarks that print figures (never timed unit tests).

The modules (``inference``, ``masks``, ``pipeline``, ``train_step``) are
imported by the tools that run them; the package re-exports nothing.
"""
__all__: list = []
