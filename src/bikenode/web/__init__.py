"""The HTTP layer: dependencies, error handling, observability and (later) the front end."""
