"""The explorer page in a real headless Chromium, checked through the DOM: the steps, the
numbers it shows against the engine's, the keyboard, the details panel, explained gradients,
no network request, and a 2,000-value graph. Marked slow; skipped, saying how to enable them,
where no browser can be started (`make test` installs one)."""
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from autograd import Value
from autograd.engine import backward_steps
from visualize import explore
from visualize.format import numbers
from visualize.trace import trace
from visualize.walk import walk

from browser import browser_missing, neuron, screenshot_explorer, start_browser
from viz_graphs import NEEDS_DOT

MISSING = browser_missing() or (NEEDS_DOT if shutil.which("dot") is None else "")
# Browser sessions are long: `pytest -m slow` (make test's second half, CI) runs them.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(MISSING), reason=MISSING)]


@pytest.fixture(scope="module")
def driver():
    browser = start_browser()
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory):
    o, leaves = neuron()
    path = explore(o, tmp_path_factory.mktemp("neuron") / "neuron.html").path
    return o, leaves, path.resolve().as_uri()


def _open(driver, uri):
    driver.get(uri)
    driver.get_log("browser")
    loaded = [m["params"]["request"]["url"] for m in _network(driver)
              if m["method"] == "Network.requestWillBeSent"]
    assert loaded == [uri]                     # the page itself, and nothing else
    assert driver.execute_script("return document.body.dataset.ready") == "1"


def _texts(driver, name):
    return driver.execute_script(
        "return Array.from(document.querySelector(`g.node[data-name='${arguments[0]}']`)"
        ".querySelectorAll('text'), t => t.textContent)", name)


def _step(driver):
    return int(driver.execute_script("return document.body.dataset.step"))


def _click(driver, element_id):
    driver.find_element("id", element_id).click()


def _network(driver):
    """The DevTools network events logged since the last call."""
    events = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    return [m for m in events if m["method"].startswith("Network.")]


def _no_errors(driver):
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_page_opens_at_the_start_showing_only_the_leaves(driver, neuron_page):
    o, _, uri = neuron_page
    _open(driver, uri)
    graph = trace(o)
    steps = 1 + sum(1 for ps in graph.parents if ps) + len(backward_steps(o))
    assert (_step(driver), driver.find_element("id", "total").text) == (0, str(steps - 1))
    assert driver.find_element("id", "phase").text == "start"
    assert driver.find_element("id", "narration").text.startswith("Start: the 5 leaves")
    for i, (v, ps) in enumerate(zip(graph.nodes, graph.parents)):
        texts = _texts(driver, f"v{i}")
        assert ("data ?" in texts) == bool(ps)
        assert ("data " + numbers(v.data, 4, 6) in texts) == (not ps)
        assert "grad ?" in texts
    _no_errors(driver)


def test_next_computes_the_values_in_creation_order(driver, neuron_page):
    o, _, uri = neuron_page
    _open(driver, uri)
    graph = trace(o)
    order = walk(graph).forward
    for k, i in enumerate(order):
        _click(driver, "next")
        assert (_step(driver), driver.find_element("id", "phase").text) == (k + 1,
                                                                            "forward pass")
        assert "data " + numbers(graph.nodes[i].data, 4, 6) in _texts(driver, f"v{i}")
        later = [j for j in order[k + 1:]]
        assert all("data ?" in _texts(driver, f"v{j}") for j in later)
        fresh = driver.find_elements("css selector", "g.node.st-fresh")
        assert {e.get_attribute("data-name") for e in fresh} == {f"v{i}", f"o{i}"}
        assert driver.find_element("id", "narration").text.startswith(
            f"{graph.nodes[i].name or graph.nodes[i].op}")


def test_the_backward_pass_shows_each_nodes_gradient_as_grad_and_the_shares_it_sends(
        driver, neuron_page):
    o, _, uri = neuron_page
    _open(driver, uri)
    graph = trace(o)
    passes = walk(graph)
    _click(driver, "next")
    for _ in passes.forward[1:]:
        _click(driver, "next")
    for i, g in passes.backward:
        _click(driver, "next")
        assert driver.find_element("id", "phase").text == "backward pass"
        assert "grad " + numbers(graph.nodes[i].grad, 4, 6) in _texts(driver, f"v{i}")
        labels = driver.execute_script(
            "return Array.from(document.querySelectorAll('text.share'), t => t.textContent)")
        sent = [numbers(s.value, 4, 6) for s in passes.sent.get(i, [])]
        assert sorted(labels) == sorted(sent + ([numbers(g, 4, 6)] if sent else []))
    for i, v in enumerate(graph.nodes):
        if v.requires_grad:
            assert "grad " + numbers(v.grad, 4, 6) in _texts(driver, f"v{i}")
    assert _step(driver) == int(driver.find_element("id", "total").text)
    _no_errors(driver)


def test_a_value_used_twice_shows_its_gradient_as_a_sum(driver, tmp_path):
    a = Value(3.0, name="a")
    y = a * a + a
    y.name = "y"
    y.backward()
    _open(driver, explore(y, tmp_path / "twice.html").path.resolve().as_uri())
    _click(driver, "last")
    assert driver.find_element("id", "narration").text == (
        "a is used 3 times, so its gradient is the sum of their shares: 1.0000 (from y) + "
        "3.0000 (from *#1) + 3.0000 (from *#1) = 7.0000. It is a leaf: this is a.grad.")
    _click(driver, "prev")                     # *#1 has sent both its shares
    assert "grad ? (3/3)" in _texts(driver, "v0")
    _click(driver, "prev")                     # only y's share has arrived
    assert "grad ? (1/3)" in _texts(driver, "v0")
    assert "st-partial" in driver.find_element(
        "css selector", "g.node[data-name='v0']").get_attribute("class")


def test_the_keyboard_steps_jumps_and_plays(driver, neuron_page):
    from selenium.webdriver.common.action_chains import ActionChains
    _, _, uri = neuron_page
    _open(driver, uri)
    last = int(driver.find_element("id", "total").text)
    body = driver.find_element("tag name", "body")
    body.send_keys("\ue014")                   # right arrow
    body.send_keys("\ue014")
    assert _step(driver) == 2
    body.send_keys("\ue012")                   # left arrow
    assert _step(driver) == 1
    body.send_keys("\ue010")                   # End
    assert _step(driver) == last
    body.send_keys("\ue011")                   # Home
    assert _step(driver) == 0
    driver.execute_script("document.getElementById('speed').value = '50'")
    body.send_keys(" ")
    assert driver.find_element("id", "play").text == "pause"
    deadline = time.monotonic() + 30
    while _step(driver) < last and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _step(driver) == last
    assert driver.find_element("id", "play").text == "play"    # stops at the end
    _click(driver, "first")                    # a focused button: space toggles play once
    ActionChains(driver).send_keys(" ").perform()
    assert driver.find_element("id", "play").text == "pause"
    ActionChains(driver).send_keys(" ").perform()
    assert driver.find_element("id", "play").text == "play"


def test_the_slider_goes_to_any_step(driver, neuron_page):
    _, _, uri = neuron_page
    _open(driver, uri)
    driver.execute_script("const s = document.getElementById('slider'); s.value = '7';"
                          "s.dispatchEvent(new Event('input'))")
    assert _step(driver) == 7 and driver.find_element("id", "step").text == "7"


def test_the_details_panel_shows_data_and_gradient_once_known(driver, neuron_page):
    o, leaves, uri = neuron_page
    _open(driver, uri)
    index = trace(o).index()
    w1 = leaves["w1"]
    driver.find_element("css selector", f"g.node[data-name='v{index[id(w1)]}']").click()
    panel = driver.find_element("id", "details")
    assert panel.find_element("tag name", "h3").text == "w1: a leaf that needs a gradient"
    assert "shape ()" in panel.text and "dtype float64" in panel.text
    assert "grad: pending until step" in panel.text
    _click(driver, "last")
    cells = [td.text for td in panel.find_elements("css selector", "table.cells td")]
    assert cells == [numbers(w1.data, 4, 6), numbers(w1.grad, 4, 6)]
    assert "gradient health" in panel.text


def test_the_details_panel_shows_an_array_as_a_heatmap(driver, tmp_path):
    w = Value(np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]], dtype=np.float32), name="w")
    y = (w * w).sum()
    y.backward()
    _open(driver, explore(y, tmp_path / "array.html").path.resolve().as_uri())
    _click(driver, "last")
    driver.find_element("css selector", "g.node[data-name='v0']").click()
    panel = driver.find_element("id", "details")
    assert "data (2, 3) float32" in panel.text and "grad (2, 3) float32" in panel.text
    tables = panel.find_elements("css selector", "table.cells")
    grads = [td.text for td in tables[1].find_elements("tag name", "td")]
    assert grads == [numbers(x, 4, 6) for x in w.grad.ravel()]
    colours = {td.value_of_css_property("background-color")
               for td in tables[1].find_elements("tag name", "td")}
    assert len(colours) == 6                   # one per distinct value: a heatmap


def test_explaining_a_gradient_lists_its_paths_and_their_sum_and_highlights_them(
        driver, tmp_path):
    a = Value(3.0, name="a")
    y = a * a + a
    y.name = "y"
    y.backward()
    _open(driver, explore(y, tmp_path / "twice.html").path.resolve().as_uri())
    driver.find_element("id", "explain-leaf").find_element(
        "xpath", "./option[text()='a']").click()
    paths = [li.text for li in driver.find_elements("css selector", "#explain-paths li")]
    assert len(paths) == 3
    terms = sorted(float(p.rsplit(" ", 1)[1]) for p in paths)
    assert terms == [1.0, 3.0, 3.0] and sum(terms) == a.grad
    assert driver.find_element("id", "explain-sum").text.startswith(
        f"sum of 3 paths = {numbers(a.grad, 4, 6)} = dy/da = a.grad")
    highlighted = driver.find_elements("css selector", "g.edge.on-path")
    assert len(highlighted) == 6       # o2->y, *#1->o2, a->o2, o1->*#1, a->o1 twice


def test_the_neurons_explained_gradients_add_up_to_grad(driver, neuron_page):
    o, leaves, uri = neuron_page
    _open(driver, uri)
    picker = driver.find_element("id", "explain-leaf")
    for name, leaf in leaves.items():
        picker.find_element("xpath", f"./option[text()='{name}']").click()
        (path,) = driver.find_elements("css selector", "#explain-paths li")
        assert float(path.text.rsplit(" ", 1)[1]) == pytest.approx(leaf.grad, abs=1e-4)
        assert f"= {name}.grad after o.backward() ({numbers(leaf.grad, 4, 6)})" in \
            driver.find_element("id", "explain-sum").text


def test_the_page_requests_nothing_and_its_policy_blocks_requests(driver, neuron_page):
    _, _, uri = neuron_page
    _open(driver, uri)
    for element_id in ("next", "last", "play", "play", "first"):
        _click(driver, element_id)
    driver.find_element("css selector", "g.node[data-name='v0']").click()
    driver.find_element("id", "explain-leaf").find_element("xpath", "./option[2]").click()
    assert _network(driver) == []              # nothing since the page itself loaded
    blocked = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const seen = [];
        document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));
        const img = document.createElement('img');
        img.src = 'http://127.0.0.1:9/probe.png';
        document.body.appendChild(img);
        fetch('http://127.0.0.1:9/probe').catch(() => {}).finally(
            () => setTimeout(() => done(seen), 200));
    """)
    assert sorted(blocked) == ["connect-src", "img-src"]
    probes = _network(driver)
    failed = {m["params"]["requestId"]: m["params"].get("blockedReason") for m in probes
              if m["method"] == "Network.loadingFailed"}
    sent = [m for m in probes if m["method"] == "Network.requestWillBeSent"]
    assert [m["params"]["request"]["url"] for m in sent] == ["http://127.0.0.1:9/probe.png"]
    assert failed[sent[0]["params"]["requestId"]] == "csp"


def _chain(links, factor):
    """tanh(factor * ...) applied `links` times to x = 0.3, differentiated: 3 values a link."""
    y = Value(0.3, name="x")
    for _ in range(links):
        y = (y * factor).tanh()
    y.backward()
    return y


def test_a_collapsed_graph_says_so_and_steps_by_group(driver, tmp_path):
    y = _chain(300, 0.9)
    _open(driver, explore(y, tmp_path / "big.html").path.resolve().as_uri())
    note = driver.find_element("id", "note")
    assert note.is_displayed() and note.text.startswith("This graph has 901 values")
    _click(driver, "last")
    root_group = driver.find_elements("css selector", "g.node[data-name^='g']")[-1]
    texts = [t.text for t in root_group.find_elements("css selector", "text")]
    assert "grad 1.0000" in texts
    _no_errors(driver)


def test_a_two_thousand_value_graph_opens_and_steps_in_bounded_time(driver, tmp_path):
    """The one timing check the issue asks for: measured inside the browser, bound generous."""
    y = _chain(666, 0.999)
    graph = trace(y)
    assert len(graph) == 1999
    page = explore(y, tmp_path / "big.html", max_nodes=10_000).path
    _open(driver, page.resolve().as_uri())
    opened = driver.execute_script("return window.seegradReadyAt")
    stepped = driver.execute_script("""
        const t = performance.now();
        for (let k = 0; k < 100; k++) document.getElementById('next').click();
        document.getElementById('last').click();
        for (let k = 0; k < 100; k++) document.getElementById('prev').click();
        document.getElementById('first').click();
        return performance.now() - t;""")
    assert _step(driver) == 0 and len(driver.find_elements("css selector", "g.node")) > 3000
    print(f"\n2,000-value explorer: ready {opened:.0f} ms after navigation, "
          f"202 steps in {stepped:.0f} ms")
    assert opened < 10_000 and stepped < 10_000
    _no_errors(driver)


def test_the_readme_screenshot_is_taken_by_the_browser(tmp_path):
    png = screenshot_explorer(tmp_path / "explorer.png")
    head = Path(png).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert width >= 1200 and height >= 600
