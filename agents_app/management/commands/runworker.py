"""Channels' `runworker`, whose worker closes the MCP connections when it is stopped (agents_app.shutdown), also
when it is stopped while it starts."""

from channels.management.commands.runworker import Command as ChannelsRunworker

from agents_app.shutdown import AgentWorker, hold_stop_signals


class Command(ChannelsRunworker):
    worker_class = AgentWorker

    def handle(self, *args, **options):
        hold_stop_signals()  # before the application loads (and lists MCP tools); channels logs "Running worker"
        super().handle(*args, **options)
