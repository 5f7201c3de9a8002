"""bench/profile.py: the share of py-spy's samples under each of Parley's own
functions, and the share spent waiting in the event loop."""
from __future__ import annotations

import pytest

from bench.profile import shares

COLLAPSED = """\
main (nameko/containers.py:392);send (services/messaging/service.py:60);insert_message (services/messaging/storage.py:150);insert_one (pymongo/collection.py:9) 6
main (nameko/containers.py:392);send (services/messaging/service.py:71);publish (services/common/dependencies.py:155) 2
main (eventlet/hubs/hub.py:365);do_poll (eventlet/hubs/epolls.py:62) 2
a frame with ``no count``).
"""


def test_each_own_function_counts_every_sample_it_is_in_once_whatever_the_line(tmp_path):
    raw = tmp_path / "messaging-1.txt"
    raw.write_text(COLLAPSED)
    total, waiting, ranked = shares(raw)
    assert total == 10 and waiting == pytest.approx(0.2)
    assert dict(ranked) == pytest.approx({
        "send (services/messaging/service.py)": 0.8,
        "insert_message (services/messaging/storage.py)": 0.6,
        "publish (services/common/dependencies.py)": 0.2})
    assert ranked[0][0].startswith("send ")


def test_an_empty_profile_has_no_shares(tmp_path):
    raw = tmp_path / "idle.txt"
    raw.write_text("")
    assert shares(raw) == (0, 0.0, [])
