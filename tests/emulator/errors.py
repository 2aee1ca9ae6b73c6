"""ApiError: one AWS error reply (code, message, HTTP status)."""

# HTTP statuses AWS uses for the codes the emulator produces; anything not
# listed is a 400 client error.
STATUS = {
    "AuthFailure": 401,
    "UnauthorizedOperation": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidClientTokenId": 403,
    "MissingAuthenticationToken": 403,
    "ExpiredToken": 403,
    "ExpiredTokenException": 403,
    "AccessDenied": 403,
    "AccessDeniedException": 400,
    "DryRunOperation": 412,
    "InternalError": 500,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
    "Unavailable": 503,
    "NoSuchEntity": 404,
    "EmulatorNotImplemented": 501,
    "MissingAuthenticationTokenException": 400,
}


class ApiError(Exception):
    def __init__(self, code, message, status=None, extra=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS.get(code, 400)
        self.extra = extra or {}   # JSON protocol: more members of the error body
