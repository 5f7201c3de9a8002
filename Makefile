# Parley — the two commands that matter: `make up` and `make test`.
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help bootstrap up down status logs shell test test-unit bench chaos

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap:  ## install everything the stack needs (idempotent, offline once done)
	@ops/bootstrap.sh

up: bootstrap  ## set up and start the whole stack, wait until healthy, print the URL
	@$(PY) -m ops.stack up

down:  ## stop every process of the stack
	@$(PY) -m ops.stack down

status:  ## each process with its health
	@$(PY) -m ops.stack status

logs:  ## follow every log under var/log
	@$(PY) -m ops.stack logs

shell:  ## admin shell on the running cluster (nameko shell: n.rpc.<service>.<method>())
	@PYTHONWARNINGS=ignore .venv/bin/nameko shell --config config/nameko.yaml

test: bootstrap  ## set up and run every test (starts the stack if it is not running)
	@$(PY) -m pytest

test-unit: bootstrap  ## only the tests that need no running stack
	@$(PY) -m pytest -m "not integration"

bench: up  ## the stores, the fan-out, and issue 9's load scenarios beside Synapse (about 40 min; var/bench/, docs/performance.md)
	@$(PY) -m bench.message_store
	@$(PY) -m bench.next_slot
	@$(PY) -m bench.ferretdb_writers
	@$(PY) -m bench.unread_counting
	@$(PY) -m bench.notification_records
	@$(PY) -m bench.socket_writes
	@$(PY) -m bench.fanout
	@$(PY) -m bench.load steady
	@$(PY) -m bench.load.peer
	@$(PY) -m bench.load idle --gateway gateway-8102
	@$(PY) -m bench.load reconnect

chaos: up  ## kill and restart each process under a steady load; nothing acknowledged may be lost (results in var/bench/, docs/performance.md)
	@$(PY) -m bench.chaos
