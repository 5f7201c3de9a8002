"""Parley under faults (issue 9, ``make chaos``): "never loses a message", tested by
killing and restarting the real processes while people talk.

What runs
    The steady load of bench/load (bench/load/runner.LoadRun with the Parley target:
    people on WebSockets through Traefik, an open-loop Poisson schedule of messages;
    by default 60 people, 12 channels plus DMs, 5 messages/s), set up once. Then one
    phase per fault, each on a healthy stack with every socket connected: ``--before``
    seconds of load, the fault, ``--after`` seconds of load, a grace period. The faults
    (faults.py) are real: SIGKILL of a gateway, of each service's instances (both at
    once), of each Kafka consumer and of the outbox relay (supervisord restarts them),
    and ``supervisorctl restart`` of RabbitMQ, Kafka, FerretDB, Redis and PostgreSQL.

The client does what a Parley client does (bench/load/parley_target.py, like the
web client): reconnects with resume whenever the server closes its socket, fetches
over REST what a resume did not replay or a gap in the seqs, and resends a send until
it is acknowledged with the same ``client_msg_id`` (``--resend-for`` seconds) when the
ack was lost with the socket or the send was refused for a passing reason
(``service_unavailable``, ``timeout``, ``internal_error``) or not answered.

What is reported per fault (run.py)
    When the program(s) were back (running again, healthy); the sends retried (and how
    many resends, and why) and those never acknowledged; the recovery time (from the
    fault until every message sent is acknowledged and delivered to every recipient
    normally again, see run.recovery); deliveries a client only got over REST; and
    the acknowledged messages lost or duplicated, per (message, recipient), checked by
    id on every recipient's socket after the grace period (bench/load/stats.Ledger):
    both must be zero. Results go to ``var/bench/chaos-parley-<UTC>.json`` and a table
    to docs/performance.md ("## Chaos (issue 9)"); the command ends by waiting until
    the stack is healthy again (every program and every service's health RPC, as
    ``make status``) and exits 1 on any loss, duplicate, or an unhealthy stack.
"""
