"""Matrix Synapse as the benchmark's peer: install, config, its PostgreSQL, a smoke test."""
