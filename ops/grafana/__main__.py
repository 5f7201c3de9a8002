"""`python -m ops.grafana`: write every dashboard to ops/grafana/dashboards/<uid>.json."""
from __future__ import annotations

from pathlib import Path

from .boards import DASHBOARDS
from .kit import to_json

OUT = Path(__file__).resolve().parent / "dashboards"


def render() -> dict[str, str]:
    """File name -> JSON text, for every dashboard."""
    return {f"{uid}.json": to_json(build()) for uid, build in DASHBOARDS.items()}


def main() -> None:
    for name, text in render().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
