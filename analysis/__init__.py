"""Statistics, figures and reports computed from the results store only (docs/ANALYSIS.md).

Nothing here runs or imports the model: ``analysis.stats`` (comparison table),
``analysis.figures`` (paper figures), ``analysis.report`` (experiment report),
``analysis.cli`` (the ``figures`` and ``report`` commands), ``analysis.sensitivity``
(sensitivity indices).
"""
