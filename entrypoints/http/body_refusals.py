"""The refusals of a request's body as it is read (`request.py`, and the one form endpoint in
`keys.py`): unreadable, too slow, or of a type the endpoint does not take. They are Litestar
client errors, which the error table (`errors.py`) answers as `{"message": ...}`."""

from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT, HTTP_415_UNSUPPORTED_MEDIA_TYPE


class MalformedBody(ClientException):
    """A body that cannot be read as JSON at all: broken chunking, invalid UTF-8, or nesting
    deeper than the decoder will follow."""

    def __init__(self, reason: str) -> None:
        super().__init__(detail=f"Invalid request body: {reason}")


class BodyReadTimeout(ClientException):
    """The client did not send its whole body in time. The connection is closed: what it still
    sends could not be told apart from a next request."""

    status_code = HTTP_408_REQUEST_TIMEOUT

    def __init__(self) -> None:
        super().__init__(
            detail="The request body was not received in time.", headers={"Connection": "close"}
        )


class UnsupportedContentType(ClientException):
    """A body of another type sent to a JSON endpoint: what a foreign page's form or "simple"
    fetch would send without asking the browser for a CORS preflight."""

    status_code = HTTP_415_UNSUPPORTED_MEDIA_TYPE

    def __init__(self) -> None:
        super().__init__(detail="Content-Type must be application/json.")


class UnsupportedFormContentType(UnsupportedContentType):
    """A body of another type sent to the one endpoint that also takes a form (RFC 7662)."""

    def __init__(self) -> None:
        ClientException.__init__(
            self,
            detail="Content-Type must be application/x-www-form-urlencoded or application/json.",
        )
