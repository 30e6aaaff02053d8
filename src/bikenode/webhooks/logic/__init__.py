"""Webhooks' pure rules: signatures, the retry schedule, which addresses may be called."""
