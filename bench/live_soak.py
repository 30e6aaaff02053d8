"""The reconnect-without-loss soak at full size: 100,000 messages, 1,000 subscribers dropped at
random, one node SIGKILLed and Redis restarted mid-way (the test runs a CI-sized version).

Run: .venv/bin/python bench/live_soak.py [--messages 100000] [--subscribers 1000]
Needs redis-server; uses SQLite in a temporary folder. Prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.live.soak import soak, start_nodes
from tests.servers import persistent_redis_server

from bikenode.db.engine import create_db_engine
from bikenode.db.migrate import upgrade_to_head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=1_000)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    root = Path(tempfile.mkdtemp(prefix="bikenode-soak-"))
    url = f"sqlite:///{root / 'bikenode.sqlite3'}"
    upgrade_to_head(create_db_engine(url))
    with persistent_redis_server() as redis:
        nodes = start_nodes(root, url, redis, history=args.messages * 2)
        try:
            result = asyncio.run(
                soak(nodes, redis, messages=args.messages, subscribers=args.subscribers)
            )
        finally:
            for node in nodes:
                node.kill()
    print(
        f"{'messages':>10} {'subscribers':>12} {'drops':>8} {'reconnects':>11} "
        f"{'gaps':>6} {'complete':>9} {'seconds':>8}"
    )
    print(
        f"{result.messages:>10} {result.subscribers:>12} {result.drops:>8} "
        f"{result.reconnects:>11} {result.gaps:>6} {result.complete:>9} {result.seconds:>8.1f}"
    )
    for error in result.errors:
        print("  incomplete:", error)
    sys.exit(0 if result.complete == result.subscribers else 1)


if __name__ == "__main__":
    main()
