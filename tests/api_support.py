"""Constants shared by tests/api/test_*.py (their fixtures live in conftest.py)."""

KG = "https://w3id.org/mmr-kg/def/"
KGID = "https://w3id.org/mmr-kg/id/"
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
