"""What a plan buys: by district, along corridors, against budget, against another plan.

* :func:`evaluate` — a :class:`Report`: per district sets placed, weighted and
  point coverage before and after, incidents covered (by category), sets per
  km² and per 10,000 residents, privacy-zone area seen; corridor continuity
  (:mod:`~coverage.evaluation.districts`).
* :func:`incident_coverage` — whether each incident location is watched;
  :func:`incidents_by_phase` — incidents watched per category and year of data,
  before the plan and after each phase (:mod:`~coverage.evaluation.incidents`).
* :func:`corridor_continuity` — the longest unobserved stretch of corridor and
  the share of walking routes (landmarks to hotspots) that are watched
  (:mod:`~coverage.evaluation.continuity`, :mod:`~coverage.evaluation.routes`).
* :func:`coverage_curve` — objective and proven upper bound against budget
  (:mod:`~coverage.evaluation.curve`).
* :func:`compare` — two plans side by side, district by district
  (:mod:`~coverage.evaluation.comparison`).
* :func:`integration_value` — what each owner's shared cameras are worth: coverage
  with and without them, new sets saved (a proven interval), the sets that matter
  most (:mod:`~coverage.evaluation.integration`).
* :func:`roadmap` — yearly budgets towards a total, each year nested in the next,
  a proven bound per year and the year a target is first reached
  (:mod:`~coverage.evaluation.roadmap`).
* :func:`face_coverage` — the share of foot traffic whose faces the plan's sets
  capture (:mod:`~coverage.evaluation.face`); :func:`privacy_table` — privacy-zone
  area seen and masked per set, zone category and tier
  (:mod:`~coverage.evaluation.privacy`).

:mod:`coverage.report` turns these into one self-contained HTML page.
"""

from __future__ import annotations

from coverage.evaluation._common import NO_CATEGORY, OUTSIDE, plan_camera_set
from coverage.evaluation.comparison import compare
from coverage.evaluation.continuity import Continuity, corridor_continuity, edge_watch
from coverage.evaluation.curve import coverage_curve
from coverage.evaluation.districts import Report, evaluate
from coverage.evaluation.face import face_coverage
from coverage.evaluation.incidents import incident_coverage, incidents_by_phase
from coverage.evaluation.integration import integration_value, marginal_losses
from coverage.evaluation.privacy import privacy_table
from coverage.evaluation.roadmap import Reach, Roadmap, check_total_sets, reach_year, roadmap
from coverage.evaluation.routes import route_ends

__all__ = [
    "NO_CATEGORY",
    "OUTSIDE",
    "Continuity",
    "Reach",
    "Report",
    "Roadmap",
    "check_total_sets",
    "compare",
    "corridor_continuity",
    "coverage_curve",
    "edge_watch",
    "evaluate",
    "face_coverage",
    "incident_coverage",
    "incidents_by_phase",
    "integration_value",
    "marginal_losses",
    "plan_camera_set",
    "privacy_table",
    "reach_year",
    "roadmap",
    "route_ends",
]
