"""The site's icon: linked from every page, and served at /favicon.ico, where browsers ask first."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient


def test_favicon_is_served_where_browsers_ask(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert ET.fromstring(icon.content).tag == "{http://www.w3.org/2000/svg}svg"
    assert client.get("/static/favicon.svg").content == icon.content
    assert "/favicon.ico" not in client.get("/openapi.json").json()["paths"]


def test_pages_link_the_icon(client: TestClient) -> None:
    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    for path in ("/", "/report", "/docs"):
        assert link in client.get(path, headers={"accept": "text/html"}).text, path
