"""The interactive network page (issue 5) in real headless Chromium: loads cleanly, draws, filters, searches, shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import networkx as nx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from graph.network import build_network, export_network
from graph.store import EmbeddedStore

from servers import chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    """Headless Chromium (see ``servers.chromium``) with room for the whole network page."""
    with chromium(window="1400,900") as browser:
        yield browser


@pytest.fixture(scope="module")
def page(store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nx.Graph]:
    """The agency–lever page, written to a file, and the graph it shows."""
    body, _ = export_network(store, "agency-lever", "html", "en")
    path = tmp_path_factory.mktemp("html") / "agency-lever.html"
    path.write_bytes(body)
    return path, build_network(store, "agency-lever", "en")


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


@pytest.mark.parametrize("projection", ["agency-lever", "agency-agency", "entities"])
def test_first_view_shows_every_label_whole(driver: webdriver.Chrome, store: EmbeddedStore, tmp_path: Path,
                                            projection: str) -> None:
    path = tmp_path / f"{projection}.html"
    path.write_bytes(export_network(store, projection, "html", "en")[0])
    driver.get(path.as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    outside, shown = driver.execute_script(LABELS_INSIDE)
    assert shown > 0 and outside == []


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
