"""``operationId`` targets: thin handlers, one module per tag, named by each operation's
``x-openapi-router-controller`` (``petsage.request_path.resolver``)."""
