"""A dispatcher process for the kill test: three slow auditing subscribers, run until idle.

python -m tests.integration.events.dispatch_until_idle DATABASE_URL
"""

from __future__ import annotations

import sys

from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.events import Dispatcher
from tests.events_tools import Recorder

SUBSCRIBERS = ("test.kill.a", "test.kill.b", "test.kill.c")


def main(database_url: str) -> None:
    engine = create_db_engine(database_url)
    recorders = [Recorder(name, write_audit=True, delay_s=0.002) for name in SUBSCRIBERS]
    dispatcher = Dispatcher(
        make_session_factory(engine), [r.subscriber() for r in recorders], batch_size=40
    )
    dispatcher.run_until_idle()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
