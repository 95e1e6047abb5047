"""The pattern suite in three tiers (docs/ODD.md §1):

* ``test_consistency.py`` — inputs reproduced and fitted targets met (calibration): these show
  the machinery and the fit, never independent evidence;
* ``test_verification.py`` — analytic results the code must reproduce;
* ``test_validation.py`` — held-out patterns no parameter was tuned to.

Every target in ``model/targets.py`` is checked in the tier of its role.
"""
