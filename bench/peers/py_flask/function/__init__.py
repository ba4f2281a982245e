"""The function's package: handler.py and the loop it runs (py_alloc.py, copied from bench/ at build)."""
