"""The `cxops` command line: serve, demo, import, keys, bench, and each domain's commands."""

from __future__ import annotations

import typer

from cxops.core.config import get_settings
from cxops.domains.actions import cli as actions_cli
from cxops.domains.analytics import cli as analytics_cli
from cxops.domains.assist import doc_cli
from cxops.domains.knowledge import cli as knowledge_cli
from cxops.domains.qa import cli as qa_cli
from cxops.domains.trust.cli import app as trust_cli
from cxops.domains.wfm import cli as wfm_cli
from cxops.domains.workflows import cli as workflows_cli
from cxops.entrypoints import autodoc_wiring
from cxops.entrypoints.actions_wiring import actions_runtime
from cxops.entrypoints.cli import bench, importer, keys, serve
from cxops.entrypoints.cli import demo as demo_cli
from cxops.entrypoints.cli import worker as worker_cli
from cxops.entrypoints.intents_wiring import cli_app as intents_cli_app
from cxops.entrypoints.mcp.actions_server import mcp_command
from cxops.entrypoints.qa_wiring import FactsFromDomains, qa_encoder
from cxops.integrations.embeddings import default_embedder

app = typer.Typer(
    name="cxops",
    help="cxops: orchestration and intelligence for CX operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(keys.app, name="keys")
app.add_typer(actions_cli.app, name="actions")
app.add_typer(actions_cli.audit_app, name="audit")
actions_cli.app.command("mcp")(mcp_command)
actions_cli.bind_runtime(actions_runtime)
app.add_typer(trust_cli, name="trust")
app.add_typer(wfm_cli.app, name="wfm")
app.add_typer(knowledge_cli.app, name="kb")
app.add_typer(analytics_cli.app, name="analytics")
app.add_typer(workflows_cli.app, name="workflows")
app.add_typer(qa_cli.app, name="qa")
app.add_typer(intents_cli_app(), name="intents")
qa_cli.bind_encoder(qa_encoder())
qa_cli.bind_facts(FactsFromDomains())
knowledge_cli.bind_embedder(default_embedder)
app.add_typer(doc_cli.app, name="assist")
doc_cli.bind_ports(lambda: autodoc_wiring.documentation_ports(get_settings()))
app.command("bench")(bench.bench)
app.command("serve")(serve.serve)
app.command("demo")(demo_cli.demo)
app.command("worker")(worker_cli.worker)
app.command("import")(importer.import_file)

if __name__ == "__main__":
    app()
