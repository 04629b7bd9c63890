"""The Connexion request path: the app class PetSage serves and the layers it swaps in.

Everything here plugs into Connexion 3.3 (pinned ``~=3.3.0``); the modules that reach past its
public API (``stack``, ``operations``, ``validation``, ``response_validation``, ``no_arguments``,
``parameters``, ``operation_id``, ``docs``), or past Starlette's (``static_files``), say in their
docstrings what they rely on and which tests fail when an upgrade breaks it.
"""
