from django.apps import AppConfig


class AgentsAppConfig(AppConfig):
    name = "agents_app"
    verbose_name = "Agents"
    # Tools and profiles load in the processes that serve or run agents (agents_app.startup), not here: every
    # process, `migrate` included, would otherwise start each MCP server to list its tools.
