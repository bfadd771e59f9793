"""Routes of the test authorization server, without trailing slashes, as Navi's provider has them."""

from django.contrib.auth.views import LoginView
from django.urls import include, path, re_path
from oauth2_provider import views as oauth_views

# The toolkit reverses its own view names inside the "oauth2_provider" namespace (discovery, issuer).
oauth_patterns = (
    [
        path("oauth/authorize", oauth_views.AuthorizationView.as_view(), name="authorize"),
        path("oauth/token", oauth_views.TokenView.as_view(), name="token"),
        path("oauth/revoke_token", oauth_views.RevokeTokenView.as_view(), name="revoke-token"),
        path("oauth/userinfo", oauth_views.UserInfoView.as_view(), name="user-info"),
        path("oauth/jwks", oauth_views.JwksInfoView.as_view(), name="jwks-info"),
        re_path(
            r"^\.well-known/openid-configuration$",
            oauth_views.ConnectDiscoveryInfoView.as_view(),
            name="oidc-connect-discovery-info",
        ),
    ],
    "oauth2_provider",
)

urlpatterns = [
    path("", include(oauth_patterns)),
    path("accounts/login/", LoginView.as_view(template_name="registration/login.html"), name="login"),
]
