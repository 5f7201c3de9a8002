"""Parley's load generator (issue 9): speed and "never loses a message", measured.

What is measured
    Simulated people, each on their own connection (Parley: a WebSocket through
    Traefik), in rooms whose sizes follow a workspace's spread (model.py: a few big
    channels, many small ones, DMs; deterministic from ``--seed``). An open-loop
    schedule (Poisson arrivals at ``--rate`` messages/s, fixed before the run) sends
    messages and thread replies, plus on Parley reactions, typing, read marks and
    channel switches (a ``view`` and a page of history), each counted and timed apart.
    Per message: send→ack (frame written to ``ack``) and send→delivery to every other
    member's socket (p50/p95/p99/max); messages/s and deliveries/s sustained; errors;
    the stack's CPU per message (utime+stime of everything under supervisord) and the
    gateways' RSS (procstat.py). ``schedule_lag`` tells whether the generator kept its
    own schedule: when it did not, the numbers are the generator's limit.

When a phase starts
    After connecting everyone, a phase waits until the run is quiet: the sockets read
    under 50 frames a second and the stack uses under 0.6 cores (at most 30 s), so
    that what the connections or a previous run set off does not weigh on it. The
    steady scenario's ``--warmup SECONDS`` first runs the same load on a schedule of
    its own (every instance meets the rooms, as in a workspace that has been running),
    reported in its own row; the measured phase sends the same actions either way.

How loss and duplicates are decided
    Every sent text carries ``bench:<txn_id>:<sender>`` and txn_id is also the
    ``client_msg_id``. A delivery is (txn_id, recipient), matched from the text alone,
    the same way on every target (stats.Ledger). After the phase and a grace period
    (``--grace``, 10 s), each member other than the sender still missing an
    acknowledged message reads the room's history over HTTP (``Session.readable``):
    found there, the delivery was *late* (stored and readable, but the connection had
    not brought it in time; overload shows as late, not as loss); not found, it is
    *lost*. A history read that fails (the target still too busy to answer) is tried
    again, four times in all; a room never read leaves its missing deliveries
    *unverified*, reported apart, neither late nor lost. A recipient who received it twice is a duplicate. The Parley session
    first dedupes ``message.created`` by message id, as the protocol asks of every
    client (the repeats it dropped are reported as ``target_events.repeats_dropped``),
    so a duplicate is one the client could not recognise: two messages for one
    ``client_msg_id``. Failed sends are errors, not
    losses; delivered anyway, they are ``delivered_unacked``.

How to read the results
    Each run prints a summary, writes ``var/bench/load-<scenario>-<target>-<UTC>.json``
    (everything, with a per-second latency series) and a PNG of the delivery
    percentiles over time, and appends a table with the exact command to
    docs/performance.md ("## Load (issue 9)"). The generator shares the machine's two
    cores with the stack: its own CPU seconds are in ``cpu.generator_seconds``; compare
    them with ``cpu.stack_seconds`` before blaming the server for a tail.

Modules: target.py (the interface Parley and Synapse implement), model.py, runner.py,
stats.py, procstat.py, parley_target.py, floors.py (+ echo.py), report.py,
scenarios.py (the command line: ``python -m bench.load --help``).
"""
