"""One writing workstation in a process of its own, for tests of concurrent use.

``python -m tests.helpers.paced_writer URL FOLDER NAME SEED`` saves an audit-rowed
action (the idle screen lock) every 100-200 ms as a nurse at a chair, until a
file named ``stop`` appears in FOLDER; it then writes ``NAME.json`` there: how
long each save took (seconds) and every save that failed. ``NAME.ready``
appears after its first save, so a test starts its readers only once every
workstation is saving.

A process, not a thread: workstations are separate machines, and ten threads of
one interpreter would take turns at one GIL, so a save holding the database's
write lock would wait for the other nine threads' Python code, which no clinic has.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

#: Each workstation saves once every 100-200 ms.
PACE_S = (0.100, 0.200)


def run(url: str, folder: Path, name: str, seed: int) -> None:
    """Save at the pace until ``folder/stop`` exists; write ``folder/NAME.json``."""
    from ketalog.services.accounts import record_screen_lock
    from ketalog.services.database import make_sessionmaker
    from ketalog.store.engine import make_engine
    from tests.staff import NURSE

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    pace = random.Random(seed)
    seconds: list[float] = []
    started: list[float] = []  # wall clock, to line saves up with other processes
    failures: list[str] = []
    stop = folder / "stop"
    try:
        while not stop.exists():
            began = time.perf_counter()
            started.append(time.time())
            try:
                with factory() as db:
                    record_screen_lock(db, NURSE)
            except Exception as exc:  # every failure is what the test is about
                failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            seconds.append(time.perf_counter() - began)
            if len(seconds) == 1:
                (folder / f"{name}.ready").touch()
            time.sleep(pace.uniform(*PACE_S))
    finally:
        engine.dispose()
        found = {"seconds": seconds, "started": started, "failures": failures}
        (folder / f"{name}.json").write_text(json.dumps(found), encoding="utf-8")


if __name__ == "__main__":
    run(sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
