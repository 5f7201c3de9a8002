"""``python -m bench.load <scenario>``: see bench/load/scenarios.py."""
from .scenarios import main

main()
