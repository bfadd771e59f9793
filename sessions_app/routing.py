from django.urls import path, re_path

from sessions_app.consumers import SessionConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/sessions/<str:session_id>", SessionConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
