"""A small, real OAuth 2.0 / OpenID Connect authorization server for Navi's login tests.

It is a Django project of its own (settings in `tests.oauth_server.settings`), run as a separate process by
`tests.oauth_server.process.OAuthServer` and logged into through its own login form.
"""
