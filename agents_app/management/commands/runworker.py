"""Channels' `runworker`, whose worker closes the MCP connections when it is stopped (agents_app.shutdown)."""

from channels.management.commands.runworker import Command as ChannelsRunworker

from agents_app.shutdown import AgentWorker


class Command(ChannelsRunworker):
    worker_class = AgentWorker
