"""``operationId`` targets: thin handlers, one module per tag, resolved relative to this package."""

HANDLERS = __name__
