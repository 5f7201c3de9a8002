"""HTTP handlers: thin translations of REST calls into RPCs (no logic here)."""
