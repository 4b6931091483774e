"""The ``blueprint`` CLI and its tools: the offline preview engine, check, reports, cost, diff, fork and promote.

Tools may import the program (:mod:`blueprint.program`) to read what it declares; never the other way round.
"""
