"""The migrations build exactly the schema the models describe, on the database under test.

A domain that adds a model without its migration (or a migration that drifts from the model)
fails here, on SQLite and on PostgreSQL, before a user's `db upgrade` finds out.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import bikenode.models  # noqa: F401  (registers every domain's tables)
from bikenode.db.base import Base
from bikenode.db.migrate import alembic_config


def test_the_migrated_schema_has_no_difference_from_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_domain_branch_has_a_label_that_names_one_head() -> None:
    """A domain's branch is addressable (`alembic upgrade <domain>@head`) and does not fork."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    labels = {label for revision in scripts.walk_revisions() for label in revision.branch_labels}
    domains = {"events", "fitness", "health", "market", "notifications", "segments", "social"}
    assert domains | {"webhooks"} <= labels
    for label in labels:
        head = scripts.get_revision(f"{label}@head")  # raises if the branch has two heads
        assert head is not None and head.is_head, label
