"""Small helpers over grafana-foundation-sdk so each dashboard reads as a list of
questions: every panel has a title that is the question it answers, a description,
a unit, and thresholds where a value is good or bad."""
from __future__ import annotations

import json

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync, DataSourceRef, Threshold, ThresholdsMode, VariableRefresh,
    VariableSort)

# The provisioned datasource (ops/grafana/provisioning/datasources/prometheus.yml).
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")
RATE = "$__rate_interval"
REF_IDS = "ABCDEFGH"

# Grafana units (https://grafana.com/docs/grafana/latest/panels-visualizations/
# configure-standard-options/#unit).
SECONDS, PERCENT, BYTES, REQPS, OPS, COUNT = "s", "percentunit", "bytes", "reqps", "ops", "short"


def q(expr: str, legend: str = "") -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).datasource(DATASOURCE)
    return query.legend_format(legend) if legend else query


def ratio(part: str, whole: str) -> str:
    """part / whole, where a missing part (a counter never incremented for some label
    set) counts as 0 instead of hiding the series: (part or whole * 0) / whole."""
    return f"({part} or {whole} * 0) / {whole}"


def quantile(p: str, histogram: str, selector: str, by: str = "") -> str:
    """The p-quantile of a histogram over $__rate_interval, per the labels in `by`."""
    labels = f"{by}, le" if by else "le"
    return (f"histogram_quantile({p}, sum by ({labels}) "
            f"(rate({histogram}_bucket{{{selector}}}[{RATE}])))")


def thresholds(*steps: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """steps: (value, color) from the base (value None) upwards."""
    return dash.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=value, color=color) for value, color in steps])


OK = (None, "green")


def graph(title: str, description: str, unit: str, *queries: prometheus.Dataquery,
          limits: dash.ThresholdsConfig | None = None, width: int = 12, height: int = 8,
          stacked: bool = False, minimum: float | None = 0) -> timeseries.Panel:
    panel = (timeseries.Panel().title(title).description(description).unit(unit)
             .datasource(DATASOURCE).span(width).height(height)
             .line_width(1).fill_opacity(10)
             .legend(common_builders.VizLegendOptions().display_mode(common.LegendDisplayMode.LIST)
                     .placement(common.LegendPlacement.BOTTOM).show_legend(True)))
    if minimum is not None:
        panel = panel.min(minimum)
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    if limits is not None:
        panel = panel.thresholds(limits).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.LINE))
    for ref, query in zip(REF_IDS, queries):
        panel = panel.with_target(query.ref_id(ref))
    return panel


def single(title: str, description: str, unit: str, *queries: prometheus.Dataquery,
           limits: dash.ThresholdsConfig | None = None, width: int = 6,
           height: int = 5) -> stat.Panel:
    panel = (stat.Panel().title(title).description(description).unit(unit)
             .datasource(DATASOURCE).span(width).height(height)
             .color_mode(common.BigValueColorMode.BACKGROUND)
             .graph_mode(common.BigValueGraphMode.AREA)
             .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"])))
    if limits is not None:
        panel = panel.thresholds(limits)
    for ref, query in zip(REF_IDS, queries):
        panel = panel.with_target(query.ref_id(ref))
    return panel


def variable(name: str, label: str, query: str) -> dash.QueryVariable:
    """A multi-value variable over a label; "All" matches every value (.*)."""
    return (dash.QueryVariable(name).label(label).datasource(DATASOURCE)
            .query({"query": query, "refId": "variable"})
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*"))


def board(uid: str, title: str, description: str, tags: list[str]) -> dash.Dashboard:
    return (dash.Dashboard(title).uid(uid).description(description)
            .tags(["parley", *tags]).refresh("30s").time("now-1h", "now")
            .timezone("browser").tooltip(DashboardCursorSync.CROSSHAIR)
            .link(dash.DashboardLink("Parley").type("dashboards").tags(["parley"])
                  .as_dropdown(True).include_vars(False).keep_time(True)))


def to_json(builder: dash.Dashboard) -> str:
    """The dashboard as Grafana's JSON, with panel ids in layout order."""
    model = builder.build()
    for number, panel in enumerate(model.panels or [], start=1):
        panel.id_val = number
    return json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"
