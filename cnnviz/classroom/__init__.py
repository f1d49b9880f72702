"""Class mode's backend: class sessions in a shared store (SQLite or Redis) and questions."""
