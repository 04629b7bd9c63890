"""The Connexion request path: the app class PetSage serves and the layers it swaps in.

Everything here plugs into Connexion 3.3; the modules that reach past its public API say so in
their docstrings, and ``tests/api/test_lean_stack.py`` fails when an upgrade breaks them.
"""
