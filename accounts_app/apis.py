from rest_framework.response import Response
from rest_framework.views import APIView


class MeApi(APIView):
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": str(user.id),
                "email": user.email,
                "display_name": user.display_name or user.username,
                "role": user.role,
                "permissions": user.effective_permissions,
            }
        )
