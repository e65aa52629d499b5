"""Pictures and the interactive page of a network (issues 5 and 10): the SVG and PNG pictures (title over
no label, legend, colours by community) and the HTML page, in real headless Chromium too (loads cleanly,
draws, filters, searches, shows).

A picture takes seconds to draw, so each one in :data:`PICTURES` is drawn once per session and every check
of it reads that one drawing: the bytes written and the matplotlib figure they were saved from.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import networkx as nx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import graph.network.draw
from graph.network import write_network
from graph.network.draw import PICTURE_DPI, PICTURE_RC, network_title
from graph.network.style import COMMUNITY_PALETTE, TYPE_STYLE, community_colour, node_colour

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Every picture the tests draw, (projection, format, colour): each projection once by type (both formats
#: among them), and agency–lever by community.
PICTURES = (
    ("agency-lever", "svg", "type"),
    ("agency-lever", "svg", "community"),
    ("agency-objective", "svg", "type"),
    ("agency-agency", "png", "type"),
    ("entities", "svg", "type"),
)


@dataclass(frozen=True)
class Picture:
    """A picture as ``write_network`` returns it, the figure it was saved from, and the network drawn."""

    body: bytes
    media_type: str
    figure: Figure
    graph: nx.Graph
    colour: str


class Pictures(dict[tuple[str, str, str], Picture]):
    """The :data:`PICTURES` of the shared networks, each drawn when first asked for."""

    def __init__(self, networks: dict[str, nx.Graph]) -> None:
        super().__init__()
        self.networks = networks

    def __missing__(self, key: tuple[str, str, str]) -> Picture:
        projection, fmt, colour = key
        figures: list[Figure] = []
        real = graph.network.draw.network_figure

        def keep(*args: Any, **kwargs: Any) -> Figure:
            figures.append(real(*args, **kwargs))
            return figures[-1]

        with pytest.MonkeyPatch.context() as patch:  # the real drawing, its figure kept for the checks
            patch.setattr(graph.network.draw, "network_figure", keep)
            body, media_type = write_network(self.networks[projection], fmt, colour)
        assert len(figures) == 1, "one figure per picture"
        self[key] = Picture(body, media_type, figures[0], self.networks[projection], colour)
        return self[key]


@pytest.fixture(scope="session")
def pictures(networks: dict[str, nx.Graph]) -> Pictures:
    """The :data:`PICTURES`, each drawn once per session."""
    return Pictures(networks)


def svg_text(picture: Picture) -> str:
    """Return the text an SVG picture shows (matplotlib keeps SVG text as text: ``svg.fonttype`` none)."""
    assert picture.media_type == "image/svg+xml"
    return "".join(ET.fromstring(picture.body).itertext())


@pytest.mark.parametrize("key", PICTURES, ids="-".join)
def test_picture_title_overlaps_no_label(pictures: Pictures, key: tuple[str, str, str]) -> None:
    from matplotlib import rc_context
    from matplotlib.text import Annotation, Text

    picture = pictures[key]
    figure = picture.figure
    with rc_context(PICTURE_RC):  # as the PNG and SVG are drawn: same font, same resolution
        figure.draw_without_rendering()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    assert figure.dpi == PICTURE_DPI
    title_text = network_title(picture.graph, picture.colour)
    titles = [t for t in figure.findobj(Text) if t.get_text() == title_text]
    assert len(titles) == 1
    title = titles[0].get_window_extent(renderer)
    labels = [a.get_window_extent(renderer) for a in figure.findobj(Annotation)]
    assert labels, "the picture has labels"
    page = figure.bbox
    for box in labels:
        assert not box.overlaps(title), "a label runs into the title"
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, \
            "a label runs off the picture"
    assert page.x0 <= title.x0 and title.x1 <= page.x1 and title.y1 <= page.y1, "the title fits the picture"


@pytest.mark.parametrize("key", [k for k in PICTURES if k[1:] == ("svg", "type")], ids="-".join)
def test_svg_has_a_legend_by_node_type(pictures: Pictures, key: tuple[str, str, str]) -> None:
    picture = pictures[key]
    text = svg_text(picture)
    assert all(d["typeLabel"] in text for _, d in picture.graph.nodes(data=True)), "legend by node type"
    assert "node colour = type" in text


def test_svg_labels_every_node_of_a_two_column_network(pictures: Pictures) -> None:
    picture = pictures["agency-lever", "svg", "type"]
    text = svg_text(picture)
    assert all(d["label"].split()[0] in text for _, d in picture.graph.nodes(data=True))


def test_png_is_a_png(pictures: Pictures) -> None:
    picture = pictures["agency-agency", "png", "type"]
    assert picture.body.startswith(b"\x89PNG\r\n\x1a\n") and picture.media_type == "image/png"


def test_pictures_and_page_colour_by_community(pictures: Pictures, networks: dict[str, nx.Graph]) -> None:
    graph = networks["agency-lever"]
    svg = pictures["agency-lever", "svg", "community"].body.decode()
    communities = {d["community"] for _, d in graph.nodes(data=True)}
    assert all(community_colour(c).lower() in svg.lower() for c in communities if c < len(COMMUNITY_PALETTE))
    assert "community 0 (" in svg and "node colour = community" in svg
    assert TYPE_STYLE["agency"][0].lower() not in svg.lower(), "no type colour when colouring by community"
    page = write_network(graph, "html", "community")[0].decode()
    payload = json.loads(re.search(r'id="network-data">(.*?)</script>', page, re.S)[1])  # type: ignore[index]
    assert payload["colourBy"] == "community"
    assert {n["id"]: n["colour"] for n in payload["nodes"]} == {
        n: node_colour(d, "community") for n, d in graph.nodes(data=True)}
    assert {n["id"]: (n["x"], n["y"]) for n in payload["nodes"]} == {
        n: (d["x"], round(graph.graph["canvasHeight"] - d["y"], 2)) for n, d in graph.nodes(data=True)}


def test_page_is_self_contained(networks: dict[str, nx.Graph]) -> None:
    page, media_type = write_network(networks["agency-lever"], "html")
    assert media_type.startswith("text/html")
    assert b"<script src" not in page and b"<link" not in page, "self-contained: nothing loaded from elsewhere"


@pytest.fixture
def driver(browser: webdriver.Chrome) -> Iterator[webdriver.Chrome]:
    """The session's Chromium (see ``tests/conftest.py``) with room for the whole network page, 1400 × 900,
    what earlier pages logged dropped; its window size is given back afterwards."""
    size = browser.get_window_size()
    browser.set_window_size(1400, 900)
    browser.get_log("browser")
    try:
        yield browser
    finally:
        browser.set_window_size(size["width"], size["height"])


@pytest.fixture(scope="module")
def page(networks: dict[str, nx.Graph], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nx.Graph]:
    """The agency–lever page, written to a file, and the graph it shows."""
    graph = networks["agency-lever"]
    path = tmp_path_factory.mktemp("html") / "agency-lever.html"
    path.write_bytes(write_network(graph, "html")[0])
    return path, graph


@pytest.mark.browser
def test_page_works_in_chromium(driver: webdriver.Chrome, page: tuple[Path, nx.Graph]) -> None:
    path, graph = page
    driver.get(path.as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    nodes = driver.find_elements(By.CSS_SELECTOR, "#nodes g.node")
    assert {n.get_attribute("data-id") for n in nodes} == set(graph.nodes)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#edges line")) == graph.number_of_edges()

    hub = max(graph, key=lambda n: graph.nodes[n]["weightedDegree"])
    driver.find_element(By.CSS_SELECTOR, f'g.node[data-id="{hub}"] circle').click()
    table = driver.find_element(By.ID, "attributes").text
    assert graph.nodes[hub]["label"] in table and "weightedDegree" in table and "community" in table

    levers = [n for n, d in graph.nodes(data=True) if d["type"] == "lever"]
    driver.find_element(By.CSS_SELECTOR, 'input[data-type="lever"]').click()
    shown = {n.get_attribute("data-id") for n in driver.find_elements(By.CSS_SELECTOR, "#nodes g.node") if n.is_displayed()}
    assert shown == set(graph) - set(levers)
    assert driver.find_element(By.ID, "details").text.startswith("Click a node"), "hidden selection is cleared"
    driver.find_element(By.CSS_SELECTOR, 'input[data-type="lever"]').click()

    agency = next(n for n, d in graph.nodes(data=True) if d["type"] == "agency")
    label = graph.nodes[agency]["label"]
    search = driver.find_element(By.ID, "search")
    search.send_keys(label.upper()[:12])
    expected = {n for n, d in graph.nodes(data=True) if label.lower()[:12] in d["label"].lower()}
    assert {n.get_attribute("data-id") for n in driver.find_elements(By.CSS_SELECTOR, "g.node.match")} == expected
    search.send_keys(Keys.ENTER)
    assert driver.find_element(By.CSS_SELECTOR, "g.node.selected").get_attribute("data-id") in expected
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


LABELS_INSIDE = """
const frame = document.getElementById("net").getBoundingClientRect();
const out = [];
for (const text of document.querySelectorAll("#nodes text")) {
  if (text.style.display === "none") continue;
  const box = text.getBoundingClientRect();
  if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5 || box.top < frame.top - 0.5
      || box.bottom > frame.bottom + 0.5) out.push(text.textContent);
}
return [out, document.querySelectorAll("#nodes text:not([style*='none'])").length];
"""


@pytest.mark.browser
@pytest.mark.parametrize("projection", ["agency-lever", "agency-agency", "entities"])
def test_first_view_shows_every_label_whole(driver: webdriver.Chrome, networks: dict[str, nx.Graph], tmp_path: Path,
                                            projection: str) -> None:
    path = tmp_path / f"{projection}.html"
    path.write_bytes(write_network(networks[projection], "html")[0])
    driver.get(path.as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    outside, shown = driver.execute_script(LABELS_INSIDE)
    assert shown > 0 and outside == []


@pytest.mark.browser
def test_focus_selects_the_node(driver: webdriver.Chrome, page: tuple[Path, nx.Graph]) -> None:
    path, graph = page
    agency = next(n for n, d in graph.nodes(data=True) if d["type"] == "agency")
    driver.get(f"{path.as_uri()}?focus={quote(agency, safe='')}")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    assert driver.find_element(By.CSS_SELECTOR, "g.node.selected").get_attribute("data-id") == agency
    assert graph.nodes[agency]["label"] in driver.find_element(By.ID, "attributes").text
    driver.get(f"{path.as_uri()}?focus={quote('https://example.org/nobody', safe='')}")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    assert "not in this network" in driver.find_element(By.ID, "focus-missing").text
    assert driver.find_elements(By.CSS_SELECTOR, "g.node.selected") == []
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
