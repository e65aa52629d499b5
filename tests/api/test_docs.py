"""``/docs``: Swagger UI served by the app itself, under the pages' Content-Security-Policy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from graph.api.http import PAGE_POLICY

_REFERENCE_RE = re.compile(r'<(script|link)\b[^>]*?\b(?:src|href)="([^"]+)"')


def test_docs_is_a_page_whose_scripts_and_styles_the_app_serves(client: TestClient) -> None:
    answer = client.get("/docs", headers={"accept": "text/html"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    html = answer.text
    assert "<script>" not in html  # every script is a file: the policy forbids inline ones
    references = _REFERENCE_RE.findall(html)
    kinds = {"script": ("javascript",), "link": ("css", "svg")}  # stylesheets, and the icon
    assert {tag for tag, _ in references} == {"script", "link"}
    assert any(url.endswith("swagger-ui-bundle.js") for _, url in references)
    for tag, url in references:
        assert url.startswith("/"), f"{url} is not served by the app (the page must work offline)"
        fetched = client.get(url)
        assert fetched.status_code == 200, url
        assert any(kind in fetched.headers["content-type"] for kind in kinds[tag]), url
        assert fetched.content


def test_docs_reads_the_apps_openapi_and_stays_out_of_it(client: TestClient) -> None:
    start = client.get("/static/docs.js").text
    assert 'url: "/openapi.json"' in start
    assert "validatorUrl: null" in start
    assert client.get("/openapi.json").status_code == 200
    assert "/docs" not in client.get("/openapi.json").json()["paths"]


def test_the_menu_links_to_docs(client: TestClient) -> None:
    assert 'href="/docs"' in client.get("/", headers={"accept": "text/html"}).text
