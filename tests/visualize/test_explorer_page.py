"""The explorer without a browser: the walk it steps through equals the engine's, the page data
prints the engine's numbers, and the written file is self-contained (the browser tests drive
the page itself)."""
import html
import json
import re
import shutil

import numpy as np
import pytest

from autograd import Value
from autograd.engine import backward_steps
from visualize import explore
from visualize.format import numbers
from visualize.health import graph_verdicts
from visualize.names import parameter_names
from visualize.options import Options
from visualize.page import page_data
from visualize.trace import trace
from visualize.walk import walk

from viz_graphs import NEEDS_DOT, ScalarMLP, mlp_loss, neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NEEDS_DOT)


def _page(root, model=None, **options):
    graph = trace(root)
    opts = Options(**options)
    collapsed = graph.drawn_node_count() > opts.max_nodes
    return graph, page_data(graph, walk(graph), opts, parameter_names(model),
                            graph_verdicts(graph, model), collapsed, 20)


def _page_json(text):
    found = re.search(r'<script type="application/json" id="seegrad-data">(.*?)</script>',
                      text, re.S)
    return json.loads(found.group(1))


def test_the_walk_is_the_engines_and_its_shares_add_up_to_each_gradient():
    a = Value(np.array([1.0, -2.0, 0.5]), name="a")
    y = ((a * a).sum() + (a * 3.0).tanh().sum()) * 0.5
    y.backward()
    graph = trace(y)
    passes = walk(graph)
    index = graph.index()
    assert [i for i, _ in passes.backward] == [index[id(n)] for n, _ in backward_steps(y)]
    orders = [graph.nodes[i]._order for i in passes.forward]
    assert orders == sorted(orders) and len(orders) == sum(1 for ps in graph.parents if ps)
    shares = passes.received[index[id(a)]]
    assert len(shares) == 3                        # a * a twice, a * 3.0 once
    np.testing.assert_array_equal(shares[0].value + shares[1].value + shares[2].value, a.grad)
    assert all(s.value.shape == (3,) for s in shares)


def test_every_step_is_listed_and_every_gradient_printed_as_the_drawings_print_it():
    o = neuron()
    graph, data = _page(o)
    forward = sum(1 for ps in graph.parents if ps)
    backward = len(backward_steps(o))
    phases = [s["phase"] for s in data["steps"]]
    assert phases == ["start"] + ["forward"] * forward + ["backward"] * backward
    values = {u["id"]: u for u in data["units"] if u["id"].startswith("v")}
    for i, v in enumerate(graph.nodes):
        unit = values[f"v{i}"]
        assert unit["data"] == numbers(v.data, 4, 6)
        if v.requires_grad:
            assert unit["grad"] == numbers(v.grad, 4, 6)
            assert forward < unit["done"] <= forward + backward
        else:
            assert unit["grad"] is None and unit["done"] == -1
    assert data["note"] == "" and data["collapsed"] == ""
    assert values[f"v{len(graph) - 1}"]["done"] == forward + 1    # the root comes first


def test_a_value_used_twice_is_narrated_as_the_sum_of_its_shares():
    a = Value(3.0, name="a")
    y = a * a + a
    y.name = "y"
    y.backward()
    graph, data = _page(y)
    step = data["steps"][data["units"][0]["done"]]
    assert step["text"] == ("a is used 3 times, so its gradient is the sum of their shares: "
                            "1.0000 (from y) + 3.0000 (from *#1) + 3.0000 (from *#1) = "
                            "7.0000. It is a leaf: this is a.grad.")
    shares = [e["share"] for e in data["edges"] if e["key"].startswith("v0->")]
    assert sorted(shares) == ["1.0000", "3.0000", "3.0000"]
    assert [s[:2] for s in data["details"][0]["shares"]] == [
        ["y", "1.0000"], ["*#1", "3.0000"], ["*#1", "3.0000"]]
    (explained,) = data["explain"]
    assert len(explained["paths"]) == 3 and explained["sum"].startswith("sum of 3 paths = 7.0")


def test_parameters_are_named_after_the_model():
    model = ScalarMLP(sizes=(2, 2, 1))
    loss = mlp_loss(model, samples=2)
    graph, data = _page(loss, model=model)
    names = {name for name, _ in model.named_parameters()}
    shown = {d["title"] for d in data["details"]}
    assert names <= shown
    facts = [dict(d["facts"]).get("parameter") for d in data["details"]]
    assert names == {f for f in facts if f}


def test_a_big_graph_is_stepped_group_by_group_with_a_note():
    x = Value(0.3, name="x")
    y = x
    for _ in range(200):
        y = (y * 0.9).tanh()
    y.backward()
    graph, data = _page(y, max_nodes=50)
    assert data["collapsed"].startswith(f"This graph has {len(graph):,} values")
    assert all(u["id"].startswith("g") for u in data["units"])
    assert len(data["units"]) <= 50 and data["explain"] == []
    assert "explain_gradient(root, value)" in data["explainNote"]
    members = sum(int(m.group(1).replace(",", "")) if m else 1 for m in
                  (re.search(r"x([\d,]+)", u["label"]) for u in data["units"]))
    assert members == len(graph) - 200           # the constants 0.9 are folded into groups


def test_a_stale_grad_is_pointed_out():
    o = neuron()
    o.backward()                     # twice: every .grad is doubled, but w2's is 0.0
    _, data = _page(o)
    assert data["note"].startswith("9 of 10 values have a .grad that differs")
    assert _page(neuron())[1]["note"] == ""


def test_cells_cut_big_arrays_and_scale_the_heat():
    w = Value(np.arange(30 * 25, dtype=np.float32).reshape(30, 25) - 100.0, name="w")
    y = (w * w).sum()
    y.backward()
    graph, data = _page(y)
    cells = data["details"][0]["data"]
    assert cells["shape"] == "(30, 25)" and cells["dtype"] == "float32"
    assert len(cells["rows"]) == 20 and len(cells["rows"][0]) == 20
    assert cells["cut"] == "showing the first 20 of 30 rows and 20 of 25 columns"
    largest = 19 * 25 + 19 - 100                 # the largest magnitude shown
    assert cells["heat"][19][19] == 1.0 and cells["heat"][0][0] == round(-100 / largest, 3)
    assert cells["rows"][0][:2] == ["-100.0000", "-99.0000"]


@needs_dot
def test_the_written_page_is_one_file_that_loads_nothing(tmp_path):
    o = neuron()
    shown = explore(o, tmp_path / "sub" / "neuron.html")
    text = shown.path.read_text(encoding="utf-8")
    assert shown.path == tmp_path / "sub" / "neuron.html" and text == shown.html
    policy = re.search(r'<meta http-equiv="Content-Security-Policy"\s+content="([^"]*)"', text)
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives == {"default-src": "'none'", "script-src": "'unsafe-inline'",
                          "style-src": "'unsafe-inline'", "img-src": "data:",
                          "base-uri": "'none'", "form-action": "'none'"}
    assert not re.search(r"<(link|iframe|img|object|embed)\b|\bsrc=|@import|url\(", text)
    assert "@@" not in text and text.count("<svg") == 1
    data = _page_json(text)
    assert len(data["steps"]) == 1 + 5 + len(backward_steps(o))
    assert data["colors"]["current"].startswith("#")


@needs_dot
def test_jupyter_shows_the_page_in_a_sandboxed_iframe(tmp_path):
    shown = explore(neuron(), tmp_path / "n.html")
    frame = shown._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert html.unescape(srcdoc) == shown.html


@needs_dot
def test_bad_arguments_raise_before_a_file_is_written(tmp_path):
    v = Value(np.ones(3))
    target = tmp_path / "never.html"
    with pytest.raises(ValueError, match=r"explore: root must be a one-element Value"):
        explore(v * 2.0, target)
    with pytest.raises(ValueError, match="rankdir"):
        explore(neuron(), target, rankdir="XY")
    with pytest.raises(ValueError, match="max_paths"):
        explore(neuron(), target, max_paths=0)
    with pytest.raises(TypeError, match="expected a Value"):
        explore(1.0, target)
    assert not target.exists()


def test_the_page_assets_are_installed_with_the_package():
    import configparser
    from pathlib import Path

    import visualize
    root = Path(visualize.__file__).parent
    config = configparser.ConfigParser()
    config.read(root.parent / "setup.cfg")
    globs = [g.strip() for g in config["options.package_data"]["visualize"].split(",")]
    assets = sorted(p.relative_to(root) for p in (root / "explorer").iterdir())
    assert [p.name for p in assets] == ["explorer.css", "explorer.html", "explorer.js"]
    assert all(any(p.match(g) for g in globs) for p in assets)
