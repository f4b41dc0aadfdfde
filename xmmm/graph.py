"""The causal graph of a dataset: which variables cause which, and the bias a naive model has.

:func:`causal_graph` reads a config and returns plain data (stored as JSON in
the Dataset's ``attrs["causal_graph"]``):

* ``nodes`` -- ``y``, ``y[t-1]``, ``demand``, ``demand_forecast``,
  ``demand_observed``, ``calendar``, each control, each channel's
  ``spend[<channel>]`` and each experiment ``experiment[<name>]``;
* ``edges`` -- ``[cause, effect, mechanism]``: ``demand -> y``,
  ``demand -> spend[c]`` (``demand_capture``), ``demand -> demand_forecast ->
  spend[c]`` (``demand_following``), ``y[t-1] -> spend[c]``
  (``target_chasing``), ``spend[c] -> y``, ``control -> y``, ``control ->
  demand`` (drivers), ``experiment -> spend[c]``;
* ``naive_bias`` -- per channel, the expected sign of the bias of a model
  that regresses ``y`` on the (transformed) spend and the observed controls
  but not on the latent demand: ``"+"`` (overstates the channel), ``"-"``
  (understates it), ``"0"`` (unbiased) or ``"+ (attenuated)"`` when only a
  noisy proxy of demand is observed; with the reason in ``bias_reason``.

The signs: a demand-driven policy moves spend with demand, which also moves
sales with the sign of ``effect``, so spend picks up demand's effect:
``sign(policy_strength * effect)``.  A target-chasing policy raises spend
after sales fall short (``policy_strength`` > 0), so spend is high after
negative shocks to sales, which persist when demand is autocorrelated: the
bias is ``-sign(policy_strength)``.  Exogenous spend is unbiased.

Examples
--------
>>> import xmmm
>>> graph = causal_graph(xmmm.get_preset_config("confounded_demand"))
>>> ["demand", "y", "demand -> y"] in graph["edges"]
True
>>> graph["naive_bias"]["TV"]
'+'
"""

from __future__ import annotations


__all__ = ["causal_graph", "graph_lines"]


def _sign(value: float) -> str:
    return "+" if value > 0 else "-" if value < 0 else "0"


def causal_graph(config) -> dict:
    """Nodes, edges and the naive model's expected bias of a config (see the module docs)."""
    demand = config.demand
    nodes = ["y"]
    edges: list[list[str]] = []
    if demand is not None:
        nodes.append("demand")
        edges.append(["demand", "y", "demand -> y"])
        if demand.seasonal_amplitude:
            nodes.append("calendar")
            edges.append(["calendar", "demand", "calendar -> demand"])
        for name in demand.drivers:
            edges.append([name, "demand", "driver -> demand"])
        if demand.observed:
            nodes.append("demand_observed")
            edges.append(["demand", "demand_observed", "measured" if not demand.proxy_noise else "noisy proxy"])
    nodes += list(config.control_names)
    edges += [[name, "y", "control -> y"] for name, c in zip(config.control_names, config.control_variables)
              if c.base_effectiveness != 0]
    bias: dict[str, str] = {}
    reason: dict[str, str] = {}
    effect = demand.effect if demand is not None else 0.0
    for channel in config.channels:
        node = f"spend[{channel.name}]"
        nodes.append(node)
        edges.append([node, "y", "media effect"])
        policy, k = channel.spend_policy, channel.policy_strength
        if policy == "demand_following":
            if "demand_forecast" not in nodes:
                nodes.append("demand_forecast")
                edges.append(["demand", "demand_forecast", "forecast"])
            edges.append(["demand_forecast", node, "demand_following"])
        elif policy == "demand_capture":
            edges.append(["demand", node, "demand_capture"])
        elif policy == "target_chasing":
            if "y[t-1]" not in nodes:
                nodes.append("y[t-1]")
                edges.append(["y", "y[t-1]", "lag"])
            edges.append(["y[t-1]", node, "target_chasing"])
        if policy in ("demand_following", "demand_capture"):
            sign = _sign(k * effect)
            if demand.observed and not demand.proxy_noise:
                bias[channel.name], reason[channel.name] = "0", "demand is observed and enters as a control"
            elif demand.observed:
                bias[channel.name] = f"{sign} (attenuated)" if sign != "0" else "0"
                reason[channel.name] = "only a noisy proxy of the confounding demand is observed"
            else:
                bias[channel.name] = sign
                reason[channel.name] = "spend moves with the unobserved demand that moves sales"
        elif policy == "target_chasing":
            bias[channel.name] = _sign(-k)
            reason[channel.name] = "spend rises after sales fell short: it follows negative shocks to sales"
        else:
            bias[channel.name], reason[channel.name] = "0", "exogenous spend"
    for experiment in config.experiments:
        node = f"experiment[{experiment.label}]"
        nodes.append(node)
        edges.append([node, f"spend[{experiment.channel}]", f"{experiment.mode} {experiment.value:g}"])
    return {"nodes": nodes, "edges": edges, "naive_bias": bias, "bias_reason": reason}


def graph_lines(graph: dict) -> list[str]:
    """The graph as text lines: one per edge, then the naive bias per channel.

    Examples
    --------
    >>> graph_lines({"nodes": ["y"], "edges": [["demand", "y", "demand -> y"]],
    ...              "naive_bias": {"TV": "+"}, "bias_reason": {"TV": "confounded"}})[:2]
    ['  demand -> y  (demand -> y)', 'Expected bias of a model without the latent demand:']
    """
    lines = [f"  {a} -> {b}  ({why})" for a, b, why in graph["edges"]]
    lines.append("Expected bias of a model without the latent demand:")
    width = max((len(c) for c in graph["naive_bias"]), default=0)
    for channel, sign in graph["naive_bias"].items():
        lines.append(f"  {channel:<{width}}  {sign:<14} {graph['bias_reason'].get(channel, '')}")
    return lines


