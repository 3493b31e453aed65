"""Studies: a base scenario, parameters addressed by dotted paths, a sensitivity method.

A study file (:mod:`~corridorsim.experiment.study.schema`) names its parameters
(:mod:`~corridorsim.experiment.study.parameters`); :func:`load_study` checks it against its
base scenario. The method (:mod:`corridorsim.experiment.methods`) expands it into design
points; each point is the base scenario with the point's values set by their dotted paths
(:func:`corridorsim.scenario.paths.apply_scenario_sets`).
"""

from corridorsim.experiment.study.load import Study, load_study
from corridorsim.experiment.study.parameters import Parameter
from corridorsim.experiment.study.schema import StudyFile

__all__ = ["Parameter", "Study", "StudyFile", "load_study"]
