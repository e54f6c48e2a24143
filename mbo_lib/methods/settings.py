"""Which paper's settings a run uses: named sets of ``paper``-profile overrides.

The ``paper`` profile of each method holds the settings of the paper (or official code) that introduced it
(design-baselines' run scripts for the nine baselines; MATCH-OPT's and PGS's code). Another paper can run the same
method differently: IGNITE's scripts train COMs' forward model for 2 epochs (``--forward-model-epochs 2 --fast``,
baseline and IGNITE alike) instead of the COMs paper's 50. A *settings* name says which; it resolves to documented
overrides of the ``paper`` profile, which every record stores in its spec, so a record says which paper's settings
it used and tables never mix them silently (:func:`settings_of` labels a record from its spec).

=============  =================================================================================================
settings       meaning
=============  =================================================================================================
``baselines``  the ``paper`` profile as it is: design-baselines' / the COMs paper's / MATCH-OPT's / PGS's settings
``ignite``     IGNITE's run scripts (cuong-dm/IGNITE ``scripts/``): the baselines at design-baselines' settings,
               COMs with 2 forward-model epochs (``--fast`` only skips intermediate evaluations)
``diagnostic`` not a paper's: GA at the quick width (256 x 256) and init, with the paper's 100 epochs, so the
               number of IGNITE dual steps is the paper's (issue 12: separates training length from width)
=============  =================================================================================================

Example:
    >>> settings_overrides("ignite", "COMs")
    {'epochs': 2}
    >>> settings_of({"profile": "paper", "method": "COMs", "overrides": {"epochs": 2}})
    'ignite'
"""
from __future__ import annotations

from ..errors import InvalidInputError

SETTINGS: dict[str, dict[str, dict]] = {
    "baselines": {},
    "ignite": {"COMs": {"epochs": 2}},
    "diagnostic": {"GA": {"hidden": [256, 256], "init": "torch"}},
}


def settings_overrides(settings: str, method: str) -> dict:
    """The ``paper``-profile overrides that ``settings`` gives ``method`` (``{}``: the paper profile as it is)."""
    if settings not in SETTINGS:
        raise InvalidInputError(f"unknown settings {settings!r}; use one of {sorted(SETTINGS)}")
    return dict(SETTINGS[settings].get(method, {}))


def settings_of(spec: dict) -> str:
    """Label a run by its spec: the profile name for ``smoke``/``quick``; for ``paper`` the settings whose overrides
    equal the spec's (``baselines`` and ``ignite`` coincide for methods IGNITE runs as design-baselines does: such a
    run is labelled ``baselines`` and counts for both); ``custom`` for other overrides.

    Hyperparameter overrides that are not settings (e.g. MATCH-OPT's ``alpha`` ablation) make a run ``custom``;
    callers that select ablations compare the overrides themselves.
    """
    if spec.get("profile", "quick") != "paper":
        return spec.get("profile", "quick")
    from .registry import get_method

    method = get_method(spec["method"])
    overrides = method.normalize_overrides("paper", spec.get("overrides") or {})
    for name in ("baselines", "ignite", "diagnostic"):
        if overrides == method.normalize_overrides("paper", settings_overrides(name, method.name)):
            return name
    return "custom"
