"""zlint: static analysis for PyTorch model code.

The engine lives in this package; the rules live in the sibling ``rules`` package.
Data flows one way: files -> parsed modules -> project index -> findings -> fixes -> report.
"""

__version__ = "0.1.0"
