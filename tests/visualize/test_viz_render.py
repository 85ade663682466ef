"""render(): files by extension, real rendering with dot, and the missing-dot error."""
import shutil
import xml.etree.ElementTree as ET

import pytest

from autograd import Value
from visualize import GraphvizNotFoundError, dot_source, render

from viz_graphs import NEEDS_DOT, neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NEEDS_DOT)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _svg_text(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("text")]


@needs_dot
def test_svg_is_written_and_parses_as_xml_with_the_labels(tmp_path):
    out = render(neuron(), tmp_path / "deep" / "folder" / "neuron.svg")
    assert out == tmp_path / "deep" / "folder" / "neuron.svg"
    texts = _svg_text(out)
    assert "x1" in texts and "tanh" in texts and "grad -1.5000" in texts


@needs_dot
def test_png_and_pdf_have_their_signatures(tmp_path):
    o = neuron()
    assert render(o, tmp_path / "n.png").read_bytes()[:8] == PNG_SIGNATURE
    assert render(o, tmp_path / "n.pdf").read_bytes()[:5] == b"%PDF-"


@needs_dot
def test_escaped_names_come_out_as_typed(tmp_path):
    name = 'a{b}|<c>"d"\\e'
    y = Value(1.0, name=name) * 2.0
    y.backward()
    assert name in _svg_text(render(y, tmp_path / "odd.svg"))


@needs_dot
def test_a_big_scalar_graph_renders_collapsed(tmp_path, big_mlp):
    model, loss = big_mlp
    out = render(loss, tmp_path / "mlp.png", model=model)
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert any("Collapsed" in t for t in _svg_text(render(loss, tmp_path / "mlp.svg")))


def test_dot_extension_needs_no_graphviz_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    o = neuron()
    out = render(o, tmp_path / "g.dot", rankdir="TB")
    assert out.read_text() == dot_source(o, rankdir="TB")


def test_missing_dot_says_how_to_install_and_still_writes_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError) as info:
        render(neuron(), tmp_path / "g.png")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz",
                 "conda install -c conda-forge graphviz", "winget install graphviz"):
        assert hint in message
    assert (tmp_path / "g.dot").read_text().startswith("digraph {")
    assert "g.dot" in message and not (tmp_path / "g.png").exists()
    assert isinstance(info.value, RuntimeError)


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        render(neuron(), tmp_path / "g.jpeg")
