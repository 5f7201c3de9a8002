"""Parley's Grafana dashboards as code (grafana-foundation-sdk).

`python -m ops.grafana` writes ops/grafana/dashboards/*.json, the files Grafana's
provisioning loads (ops/grafana/provisioning/dashboards/parley.yml); a test checks that
the committed files are what this code generates.
"""
