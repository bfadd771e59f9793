from django.apps import AppConfig


class AgentsAppConfig(AppConfig):
    name = "agents_app"
    verbose_name = "Agents"
    # Tools and profiles load in the processes that serve or run agents (agents_app.startup), not here: every
    # process, `migrate` included, would otherwise start each MCP server to list its tools.

    def ready(self) -> None:
        from agents_app.session_profiles import AgentProfileCatalogue
        from sessions_app.profile_port import profile_catalogue_install

        profile_catalogue_install(AgentProfileCatalogue())  # reads profiles only when asked
