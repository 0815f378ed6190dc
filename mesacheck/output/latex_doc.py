"""Compatibility name of the LaTeX report builder; see :mod:`mesacheck.output.latex`."""
from mesacheck.output.latex import document  # noqa: F401
