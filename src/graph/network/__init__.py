"""Networks for Gephi, Cytoscape, networkx and browsers: project the graph, measure it, write it.

``projections`` turns the SPARQL files of ``queries/network/`` into networkx graphs,
``measures`` adds centralities and communities, ``export`` writes the file formats and
``draw`` the pictures (SVG, PNG, the HTML page in ``templates/``).
"""

from graph.network.export import FORMATS, export_network, write_network
from graph.network.measures import MEASURES, summarise_network
from graph.network.projections import build_network, list_projections

__all__ = ["FORMATS", "MEASURES", "build_network", "export_network", "list_projections", "summarise_network",
           "write_network"]
