"""The refusals an endpoint can answer, for its OpenAPI document: each a JSON `{"message"}` as
the error table (errors.py) writes it."""

from litestar.openapi.datastructures import ResponseSpec

from entrypoints.http.schemas import MessageBody

_WHY = {
    400: "Invalid field, body or parameter; or a wrong current password",
    401: "Expired or invalid access token",
    403: "No token, or the role required is missing; or the account is disabled",
    404: "No such user or session",
    409: "The last enabled administrator cannot be removed",
    503: "The database cannot answer in time; Retry-After says when to try again",
}


def refusals(*codes: int) -> dict[int, ResponseSpec]:
    """The given codes, with 401, 403 and 503, which every protected endpoint may answer."""
    return {
        code: ResponseSpec(MessageBody, generate_examples=False, description=_WHY[code])
        for code in sorted({401, 403, 503, *codes})
    }
