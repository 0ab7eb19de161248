"""Experiment protocols whose command-line front ends live in
``tools/experiments/`` (the modules are imported by those tools; the
package re-exports nothing)."""
__all__: list = []
