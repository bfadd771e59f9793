import logging

from django.apps import AppConfig

logger = logging.getLogger("agents_app")


class AgentsAppConfig(AppConfig):
    name = "agents_app"
    verbose_name = "Agents"

    def ready(self) -> None:
        # Load tools and profiles now so a broken file is reported by name at start-up, not at first use.
        from agents_app.profiles import profile_catalog
        from agents_app.session_profiles import AgentProfileCatalogue
        from sessions_app.profile_port import profile_catalogue_install

        profile_catalogue_install(AgentProfileCatalogue())
        catalog = profile_catalog()
        logger.info("profiles loaded: %s", ", ".join(sorted(catalog)) or "none")
