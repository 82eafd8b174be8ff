"""What other packages may use of the assist domain."""

from cxops.domains.assist.compute.frames import FrameError
from cxops.domains.assist.engine import AssistConfig, AssistEngine
from cxops.domains.assist.models import AssistAlert
from cxops.domains.assist.ports import AssistPorts

__all__ = ["AssistAlert", "AssistConfig", "AssistEngine", "AssistPorts", "FrameError"]
