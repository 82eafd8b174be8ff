"""What other domains may use of workforce management."""

from cxops.domains.wfm.compute.erlang import erlang_a, erlang_c
from cxops.domains.wfm.compute.staffing import Targets, staff_erlang_c, with_shrinkage
from cxops.domains.wfm.models import ForecastRun, Schedule, StaffingPlan

__all__ = [
    "ForecastRun",
    "Schedule",
    "StaffingPlan",
    "Targets",
    "erlang_a",
    "erlang_c",
    "staff_erlang_c",
    "with_shrinkage",
]
