"""``python -m bench.chaos``: see bench/chaos/run.py."""
from .run import main

main()
