"""``blueprint report``: one stack's HTML report and pull-request comment, optionally against a base revision.

:mod:`gather` previews nothing itself: it prices and judges a plan (blueprint/tools/cost.py, the policy pack);
:mod:`changes` compares it with the base revision's plan; :mod:`html_page`, :mod:`cost_chart` and :mod:`comment`
render; :mod:`render` adds the stack's graph and produces the files.
"""
