"""What other domains may use of pilots."""

from cxops.domains.pilots.compute.outcomes import assign_arm
from cxops.domains.pilots.models import Pilot, PilotLook
from cxops.domains.pilots.ports import TrustEffects

__all__ = ["Pilot", "PilotLook", "TrustEffects", "assign_arm"]
