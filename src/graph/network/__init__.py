"""Networks for Gephi, Cytoscape, networkx and browsers: project the graph, measure it, write it.

``projections`` turns the SPARQL files of ``queries/network/`` into networkx graphs,
``measures`` adds centralities and communities, ``layout`` the positions every format carries,
``style`` the colours and sizes, ``export`` writes the file formats and ``draw`` the pictures
(SVG, PNG, the HTML page in ``templates/``).
"""

from graph.network.export import EXTENSIONS, FORMATS, export_network, format_for_path, write_network
from graph.network.measures import MEASURES, summarise_network
from graph.network.projections import build_network, list_projections
from graph.network.style import COLOUR_SCHEMES

__all__ = ["COLOUR_SCHEMES", "EXTENSIONS", "FORMATS", "MEASURES", "build_network", "export_network",
           "format_for_path", "list_projections", "summarise_network", "write_network"]
