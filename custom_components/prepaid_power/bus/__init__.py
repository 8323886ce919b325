"""Bus layer: read planner, decoding, the prioritised transaction queue, polling, scan.

Pure Python (no Home Assistant). Imports of the sibling `profiles` package are relative on
purpose (``# noqa: TID252``): the core must not name the integration's top-level package.
"""
