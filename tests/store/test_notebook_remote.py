"""graph.open(endpoint=...) asks a remote store through the same RemoteStore as ``kg query --endpoint``."""

from __future__ import annotations

import pytest

import graph
from graph.store import EmbeddedStore
from graph.store.remote import RemoteStore

pytestmark = pytest.mark.server


def test_open_an_endpoint_gives_the_embedded_answers(remote: RemoteStore, store: EmbeddedStore) -> None:
    opened = graph.open(endpoint=remote.endpoint_url)
    assert isinstance(opened.store, RemoteStore)
    assert opened.source == remote.endpoint_url
    here = graph.Graph(store, "embedded", opened.settings)
    assert list(opened.query("council-members", date="2019-06-01")) == \
        list(here.query("council-members", date="2019-06-01"))
    assert opened.coverage().as_dict() == here.coverage().as_dict()
