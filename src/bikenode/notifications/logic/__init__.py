"""Pure rules of notifications: texts, quiet hours, retry schedule, unsubscribe tokens."""
