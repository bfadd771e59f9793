"""MCP servers as tools: the servers of NAVI_MCP_CONFIG, their tools in the registry, calls over one connection
per server and runner process (see docs/tools.md)."""
