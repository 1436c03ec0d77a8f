"""Validation policy per domain community, versioned.

Each domain community's curators set how the models submitted to it are judged: the
default tolerances of reference points that declare none, the checks that must run and
pass, whether a ``needs_review`` verdict may be accepted, and whether every signal point
of a patchset must be finite. Every change is a new version (who, when, why); nothing is
overwritten, and restoring an old version makes a new one that copies it. A community
without a version is judged under version 0, the registry's default
(``DEMOS_VALIDATION_POLICY_DEFAULT``, today's global behaviour). Each verdict names the
policy version it was judged under (``demos:validation.policy``).

- ``models.py``: the append-only table ``demos_validation_policy``;
- ``api.py``: the policy a record is judged under, and the judgement itself (used by
  validation_runs/api.py and the publish gate in custom_fields/components.py);
- ``services/``: read, list, update, restore, re-validate (the one write path);
- ``resources/``: ``/api/communities/<id or slug>/validation-policy``;
- ``views.py``: the REST blueprint and the curators' page
  ``/communities/<slug>/validation-policy`` (script: ``static/js/demos_registry/validation-policy.js``),
  linked from the community's menu (``ext.register_menu``);
- ``ext.py``, ``proxies.py``: the extension and ``current_validation_policies_service``.
"""
