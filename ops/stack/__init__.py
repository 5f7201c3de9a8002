"""The local stack: every real server and every Parley process on one machine,
under supervisord, with state and logs under var/ (see docs/architecture.md).

``python -m ops.stack up|down|status|logs`` (the Makefile's targets)."""
