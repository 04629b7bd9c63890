"""Plain ASGI middlewares: what every response carries, whatever produced it."""
