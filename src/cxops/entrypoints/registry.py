"""Imports every domain's models so the shared metadata is complete (for migrations and tests)."""

from cxops.core import models as _core_models  # noqa: F401
from cxops.core.db import Base
from cxops.domains.actions import models as _actions_models  # noqa: F401
from cxops.domains.assist import doc_models as _assist_doc_models  # noqa: F401
from cxops.domains.assist import models as _assist_models  # noqa: F401
from cxops.domains.directory import models as _directory_models  # noqa: F401
from cxops.domains.interactions import models as _interactions_models  # noqa: F401
from cxops.domains.knowledge import models as _knowledge_models  # noqa: F401
from cxops.domains.pilots import models as _pilots_models  # noqa: F401
from cxops.domains.qa import models as _qa_models  # noqa: F401
from cxops.domains.trust import models as _trust_models  # noqa: F401
from cxops.domains.wfm import models as _wfm_models  # noqa: F401
from cxops.domains.workflows import models as _workflows_models  # noqa: F401

metadata = Base.metadata
