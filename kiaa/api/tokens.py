"""API tokens over the API: issue one with a password, list and revoke your own."""

from typing import Any, NoReturn

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kiaa import selectors
from kiaa.api.schema import ERRORS
from kiaa.auth import lockout_message
from kiaa.models import ApiToken
from kiaa.services import tokens
from kiaa.throttles import SignInThrottle, wait_message

BAD_CREDENTIALS = "Unable to sign in with that username and password."
DEFAULT_NAME = "API token"


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        required=False, default=DEFAULT_NAME, max_length=100, help_text="What will use it."
    )
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=tokens.MAX_DAYS,
        help_text="How long it lasts (default 90 days).",
    )


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as its owner sees it later: never the key, only its first characters."""

    token_prefix = serializers.CharField(source="token_key", read_only=True)
    current = serializers.SerializerMethodField(help_text="Whether this call was made with it.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "token_prefix", "created", "expiry", "current"]

    def get_current(self, token: ApiToken) -> bool:
        return token == self.context["request"].auth


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The key: shown this once only.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class TokenView(APIView):
    """POST a username and password for a new named API token.

    Failures count towards the account lockout; every attempt counts towards the address's
    sign-in budget (429 when spent, with Retry-After).
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInThrottle]

    @extend_schema(
        operation_id="auth_token_issue",
        request=TokenRequestSerializer,
        responses={201: IssuedTokenSerializer, **ERRORS.pick(400, 409, 429)},
        examples=[
            OpenApiExample(
                "Issue a token for a CRM",
                request_only=True,
                value={"username": "jo.bloggs", "password": "…", "name": "CRM sync", "days": 30},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The plain Django request: django-axes marks a lockout on it.
        django_request = request._request
        credentials = {k: data.validated_data[k] for k in ("username", "password")}
        user = authenticate(django_request, **credentials)
        if getattr(django_request, "axes_locked_out", False):
            return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            return Response({"detail": BAD_CREDENTIALS}, status=status.HTTP_400_BAD_REQUEST)
        token, key = tokens.token_issue(
            user=user, name=data.validated_data["name"], days=data.validated_data.get("days")
        )
        token.token = key  # type: ignore[attr-defined]
        body = IssuedTokenSerializer(token, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise exceptions.Throttled(wait, detail=wait_message(wait))


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The signed-in person's own API tokens; DELETE revokes one at once."""

    queryset = ApiToken.objects.none()
    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[ApiToken]:
        return selectors.api_token_list_for(person=self.request.user)  # type: ignore[arg-type]

    @extend_schema(
        responses={204: OpenApiResponse(description="Revoked: calls made with it are now a 401.")}
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tokens.token_revoke(actor=request.user, token=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
