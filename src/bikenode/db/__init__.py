"""Storage: engine, sessions, the declarative base and migrations."""

from bikenode.db.base import Base
from bikenode.db.engine import create_db_engine, make_session_factory

__all__ = ["Base", "create_db_engine", "make_session_factory"]
