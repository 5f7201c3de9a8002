"""Parley's Slack-compatible Web API (docs/slack-compat.md).

Building blocks, reusable by every Slack surface (Web API, RTM, Socket Mode):
``ids`` (Slack ids and message ``ts`` <-> Parley ids and seqs), ``shapes``
(Parley objects in Slack's JSON), ``errors`` (Slack error answers, Parley errors
translated), ``auth`` (token -> actor with scopes). ``web`` is the one HTTP
handler of ``/slack/api/<method>``; each method family has its own module.
"""
